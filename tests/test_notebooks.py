"""Execute every notebook in notebooks/ top to bottom and check what it produced.

Each notebook runs in a fresh ``python3`` kernel of this interpreter, with its working directory in
``notebooks/`` and its figures sent to a temporary folder (``NOTEBOOK_FIGURES_DIR``); any error in any
cell fails the test. Each notebook ends with a cell of assertions on the numbers it computed; the
test then reads the executed outputs for the figures and the final "all checks passed" line.
"""

from __future__ import annotations

import base64
import importlib
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest


def _require(module: str) -> Any:
    """The notebook dependencies come with the dev extra: a skip elsewhere, a failure in CI."""
    if os.environ.get("CI"):
        return importlib.import_module(module)
    return pytest.importorskip(module, reason=f'{module} is missing: pip install -e ".[notebooks]"')


nbformat = _require("nbformat")
nbclient = _require("nbclient")
for _module in ("ipykernel", "matplotlib", "pandas"):
    _require(_module)

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = ROOT / "notebooks"
NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
SHARED = ROOT.parent / "shared" / "data"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"

#: figures each notebook must write (more are allowed); the Chia one only where its scores exist
EXPECTED_FIGURES: dict[str, list[str]] = {
    "01_one_trial": ["trial_highlighted.png", "trial_highlighted.html", "logic_tree.png", "gold_diff.png"],
    "02_registry_sample": [
        "registry_ages.png",
        "registry_renal.png",
        "registry_ecog.png",
        "registry_exclusions.png",
        "registry_windows.png",
        "registry_disagreements.png",
    ],
    "03_scores": ["scores_gold_trial.png"],
}


def _chia_scores_available() -> bool:
    chia = SHARED / "chia" / "chia_with_scope"
    return (chia.is_dir() and any(chia.glob("NCT*_inc.txt"))) or (ROOT / "docs" / "chia-test-scores.json").is_file()


@pytest.fixture(scope="session")
def kernel_name(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A kernel spec that starts this interpreter (the venv), whatever kernels are installed globally.

    The ``python3`` spec that ipykernel ships says ``python -m ipykernel_launcher``, which
    jupyter_client resolves to ``sys.executable``; a ``python3`` spec installed elsewhere with an
    absolute path may start another interpreter, so then a spec of our own is written to a temporary
    folder and put first on the Jupyter data path for the session.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec("python3")
        executable = spec.argv[0]
        if executable in {"python", "python3", f"python{sys.version_info[0]}.{sys.version_info[1]}"}:
            return "python3"
        if Path(executable).resolve() == Path(sys.executable).resolve():
            return "python3"
    except NoSuchKernel:
        pass
    from ipykernel.kernelspec import install

    prefix = tmp_path_factory.mktemp("jupyter")
    install(kernel_name="python3-notebook-tests", prefix=str(prefix))
    data_dir = prefix / "share" / "jupyter"
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(data_dir), *([old] if old else [])])
    spec = KernelSpecManager().get_kernel_spec("python3-notebook-tests")
    assert Path(spec.argv[0]).resolve() == Path(sys.executable).resolve(), spec.argv
    return "python3-notebook-tests"


def _outputs(nb: Any) -> list[dict[str, Any]]:
    return [out for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def _stream_text(nb: Any) -> str:
    return "".join(out.get("text", "") for out in _outputs(nb) if out.get("output_type") == "stream")


def test_notebooks_found() -> None:
    names = {p.stem for p in NOTEBOOKS}
    assert set(EXPECTED_FIGURES) <= names, names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_stored_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat == 4
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name}: outputs not cleared"
    assert "assert" in nb.cells[-1].source, f"{path.name} must end with a cell of assertions"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(
    path: Path, kernel_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, record_property: Any
) -> None:
    figures = tmp_path / "figures"
    monkeypatch.setenv("NOTEBOOK_FIGURES_DIR", str(figures))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    monkeypatch.delenv("NOTEBOOK_REGISTRY_DUMP", raising=False)  # the notebook's own choice of input
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=600,
        allow_errors=False,
        resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
    )
    started = time.perf_counter()
    client.execute()  # raises CellExecutionError on the first failing cell
    record_property("seconds", round(time.perf_counter() - started, 1))

    errors = [out for out in _outputs(nb) if out.get("output_type") == "error"]
    assert not errors, errors
    printed = _stream_text(nb)
    assert "all checks passed" in printed, printed[-2000:]
    assert f"figures:    {figures}" in printed  # the notebook honoured NOTEBOOK_FIGURES_DIR

    # every figure the notebook must write is there, non-empty, and a real PNG
    expected = list(EXPECTED_FIGURES.get(path.stem, []))
    if path.stem == "03_scores" and _chia_scores_available():
        expected.append("scores_chia_test.png")
    for name in expected:
        file = figures / name
        assert file.is_file() and file.stat().st_size > 1000, f"{name} missing or empty"
        if name.endswith(".png"):
            assert file.read_bytes()[:8] == PNG_MAGIC, name
    # and the plots were shown inline as well
    inline = [out["data"]["image/png"] for out in _outputs(nb) if "image/png" in out.get("data", {})]
    pngs = [n for n in expected if n.endswith(".png")]
    assert len(inline) >= len(pngs), (len(inline), pngs)
    assert all(base64.b64decode(img)[:8] == PNG_MAGIC for img in inline)

    if path.stem == "01_one_trial":
        html = (figures / "trial_highlighted.html").read_text(encoding="utf-8")
        assert "Legend" in html and "creatinine" in html
        for label in ("Constraint", "Window", "Drug item", "Condition", "Measurement"):
            assert label.upper() in html.upper(), label
        assert "35 criteria" in printed
    elif path.stem == "02_registry_sample":
        assert "read " in printed and " = written " in printed
        assert ("shared development sample" in printed) == (SHARED / "ctgov" / "ctg-studies-dev.json.zip").is_file()
    elif path.stem == "03_scores":
        assert ("Chia figures are unavailable" in printed) != _chia_scores_available()
