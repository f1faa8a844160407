-- Ten analytic queries over the criteria database (SQLite and PostgreSQL alike).
-- Each starts with a "-- name:" line and a "-- question:" line; the tests run every one of them
-- against a database loaded from the shared registry sample, on both databases.

-- name: creatinine_upper_limits
-- question: What creatinine cut-offs do trials use, in one canonical unit? An upper limit is an
-- inclusion "creatinine <= X" or an exclusion "creatinine > X"; implausible values (a unit misread,
-- flagged W005 in the record) are left out.
SELECT k.canonical_value AS creatinine_mg_dl, COUNT(DISTINCT k.trial_id) AS trials
FROM constraints k JOIN criteria c ON c.trial_id = k.trial_id AND c.criterion_id = k.criterion_id
WHERE k.measure = 'creatinine' AND k.canonical_unit = 'mg/dL' AND k.canonical_value BETWEEN 0.1 AND 20
  AND ((c.side = 'inclusion' AND k.comparator IN ('<', '<=')) OR (c.side = 'exclusion' AND k.comparator IN ('>', '>=')))
GROUP BY k.canonical_value
ORDER BY trials DESC, creatinine_mg_dl;

-- name: minimum_ages_in_text
-- question: Which minimum ages do inclusion criteria state?
SELECT COALESCE(k.low, k.value) AS minimum_age_years, COUNT(DISTINCT k.trial_id) AS trials
FROM constraints k JOIN criteria c ON c.trial_id = k.trial_id AND c.criterion_id = k.criterion_id
WHERE c.side = 'inclusion' AND k.measure = 'age' AND k.ucum = 'a' AND k.comparator IN ('>', '>=', 'between')
GROUP BY COALESCE(k.low, k.value)
ORDER BY trials DESC, minimum_age_years;

-- name: registry_age_disagreements
-- question: How often do the registry's structured age limits disagree with the text?
SELECT d.field, COUNT(*) AS disagreements, COUNT(DISTINCT d.trial_id) AS trials
FROM registry_disagreements d
GROUP BY d.field
ORDER BY d.field;

-- name: common_exclusion_conditions
-- question: Which conditions do exclusion criteria name most often?
SELECT LOWER(COALESCE(e.normalized, e.text)) AS condition, COUNT(DISTINCT e.trial_id) AS trials
FROM entities e JOIN criteria c ON c.trial_id = e.trial_id AND c.criterion_id = e.criterion_id
WHERE c.side = 'exclusion' AND e.type = 'Condition' AND (e.negated IS NULL OR e.negated = FALSE)
GROUP BY LOWER(COALESCE(e.normalized, e.text))
ORDER BY trials DESC, condition
LIMIT 10;

-- name: ecog_limits
-- question: Up to which ECOG performance status do trials admit patients? (inclusion "ECOG <= X" or
-- "0-X", exclusion "ECOG > X" means at most X)
SELECT CASE WHEN c.side = 'exclusion' AND k.comparator = '>' THEN k.value
            WHEN c.side = 'exclusion' AND k.comparator = '>=' THEN k.value - 1
            WHEN k.comparator = '<' THEN k.value - 1
            ELSE COALESCE(k.high, k.value) END AS ecog_at_most,
       COUNT(DISTINCT k.trial_id) AS trials
FROM constraints k JOIN criteria c ON c.trial_id = k.trial_id AND c.criterion_id = k.criterion_id
WHERE k.measure = 'ecog performance status'
  AND ((c.side = 'inclusion' AND k.comparator IN ('<', '<=', 'between')) OR (c.side = 'exclusion' AND k.comparator IN ('>', '>=')))
GROUP BY 1
ORDER BY ecog_at_most;

-- name: transaminase_uln_multiples
-- question: What multiples of the upper limit of normal do trials allow for AST and ALT?
SELECT k.measure, k.multiple, COUNT(DISTINCT k.trial_id) AS trials
FROM constraints k
WHERE k.reference = 'ULN' AND k.measure IN ('aspartate aminotransferase', 'alanine aminotransferase')
GROUP BY k.measure, k.multiple
ORDER BY k.measure, trials DESC;

-- name: window_anchors
-- question: Which events are time windows anchored on?
SELECT w.anchor, COUNT(*) AS windows, COUNT(DISTINCT w.trial_id) AS trials
FROM windows w
GROUP BY w.anchor
ORDER BY windows DESC, w.anchor;

-- name: window_lengths_before_anchor
-- question: How long are the windows before an anchor, in days (histogram)?
SELECT CASE
         WHEN w.days <= 14 THEN '0-14'
         WHEN w.days <= 30 THEN '15-30'
         WHEN w.days <= 90 THEN '31-90'
         WHEN w.days <= 180 THEN '91-180'
         WHEN w.days <= 365.25 THEN '181-365'
         ELSE '>365'
       END AS days_bucket,
       COUNT(*) AS windows
FROM windows w
WHERE w.direction = 'before' AND w.days IS NOT NULL
GROUP BY 1
ORDER BY MIN(w.days);

-- name: common_excluded_drugs
-- question: Which drugs and drug classes do exclusion criteria name most often?
SELECT d.name, MAX(CASE WHEN d.is_class THEN 1 ELSE 0 END) AS is_class, COUNT(DISTINCT d.trial_id) AS trials
FROM drugs d JOIN criteria c ON c.trial_id = d.trial_id AND c.criterion_id = d.criterion_id
WHERE c.side = 'exclusion'
GROUP BY d.name
ORDER BY trials DESC, d.name
LIMIT 10;

-- name: negated_inclusion_mentions
-- question: What do inclusion criteria require to be absent ("no active infection")?
SELECT e.type, COUNT(*) AS mentions, COUNT(DISTINCT e.trial_id) AS trials
FROM entities e JOIN criteria c ON c.trial_id = e.trial_id AND c.criterion_id = e.criterion_id
WHERE c.side = 'inclusion' AND e.negated = TRUE
GROUP BY e.type
ORDER BY mentions DESC, e.type;

-- name: how_inclusion_sub_items_combine
-- question: How do inclusion criteria with sub-items ask for them: all, any one, at least n, none?
SELECT c.sub_items_op, c.sub_items_n, COUNT(*) AS criteria, COUNT(DISTINCT c.trial_id) AS trials
FROM criteria c
WHERE c.side = 'inclusion' AND c.sub_items_op IS NOT NULL
GROUP BY c.sub_items_op, c.sub_items_n
ORDER BY criteria DESC, c.sub_items_op;
