"""The parameter schema's strictness (issue 16): types, YAML's special values, lot names, lengths.

The command-line sweep of the same classes is in test_bad_input.py; these are the API-level cases
(``params.load`` raises the first problem, ``preflight.problems`` lists them all).
"""

import math
import os

import pytest

from rmwork import params, preflight
from rmwork.errors import InputError

H = "analyte,unit,value\nFe,1,1.0\nFe,1,1.1\nFe,2,1.2\nFe,2,1.25\n"


def lot(tmp_path, body="", *, name="L-1", top=""):
    (tmp_path / "h.csv").write_text(H)
    p = tmp_path / "lot.yaml"
    p.write_text(f"lot: {name}\nmaterial: m\nseed: 1\n{top}homogeneity:\n  data: h.csv\n{body}")
    return p


@pytest.mark.parametrize(
    "body, top, key",
    [
        ("", "", None),  # the control: valid
        ("  alpha: true\n", "", "homogeneity.alpha"),
        ("  alpha: '0.05'\n", "", "homogeneity.alpha"),
        ("  bayes: 'yes'\n", "", "homogeneity.bayes"),
        ("", "sampler: {draws: true}\n", "sampler.draws"),
        ("", "sampler: {chains: 2.0}\n", "sampler.chains"),  # 2.0 is not a whole-number literal
        ("", "analytes: {Fe: {precision: false}}\n", "analytes.Fe.precision"),
    ],
)
def test_load_refuses_bool_for_number_and_text_for_number(tmp_path, body, top, key):
    p = lot(tmp_path, body, top=top)
    if key is None:
        assert params.load(p).params.homogeneity.alpha == 0.05
        return
    with pytest.raises(InputError, match=rf"key '{key}'"):
        params.load(p)


def test_seed_true_is_refused_not_taken_as_1(tmp_path):
    p = lot(tmp_path)
    p.write_text(p.read_text().replace("seed: 1", "seed: true"))
    with pytest.raises(InputError, match=r"key 'seed': .*integer.*true/false"):
        params.load(p)


def test_integer_is_still_a_float_and_a_date_is_still_text(tmp_path):
    p = lot(
        tmp_path,
        top="stability:\n  long_term: {data: h.csv, shelf_life: 24}\n"
        "certificate: {certification_date: 2026-11-22, coverage: 0.95}\n",
    )
    got = params.load(p).params
    assert got.stability.long_term.shelf_life == 24.0 and isinstance(
        got.stability.long_term.shelf_life, float
    )
    assert got.certificate.certification_date.isoformat() == "2026-11-22"


@pytest.mark.parametrize(
    "text, shown",
    [(".nan", ".nan"), (".NaN", ".nan"), (".inf", ".inf"), ("-.inf", "-.inf"), ("1e999", ".inf")],
)
def test_nan_and_inf_anywhere_name_the_key(tmp_path, text, shown):
    p = lot(tmp_path, top=f"stability:\n  long_term: {{data: h.csv, shelf_life: {text}}}\n")
    with pytest.raises(
        InputError,
        match=rf"key 'stability.long_term.shelf_life': not a finite number "
        rf"\(got {shown}\)",
    ):
        params.load(p)


def test_nan_in_a_list_names_the_item(tmp_path):
    p = lot(tmp_path, top="certificate:\n  extra:\n    - {name: drift, u: .nan, reason: balance drift}\n")
    with pytest.raises(InputError, match=r"key 'certificate.extra.0.u': not a finite"):
        params.load(p)


def test_deep_nesting_is_refused_without_recursion_error(tmp_path):
    p = tmp_path / "lot.yaml"
    p.write_text("lot: L\nmaterial: " + "[" * 50_000)
    with pytest.raises(InputError, match="too deeply"):
        params.load(p)
    # and nesting the composer survives, but no schema key needs
    p.write_text("lot: L\nmaterial: m\nseed: 1\nhomogeneity: {data: h.csv}\nx: " + "[" * 200 + "]" * 200)
    with pytest.raises(InputError, match=r"nested more than 20 levels"):
        params.load(p)


def test_alias_bomb_is_refused(tmp_path):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 7)]
    p = tmp_path / "lot.yaml"
    p.write_text("lot: L\nmaterial: m\nseed: 1\n" + "\n".join(lines) + "\n")
    with pytest.raises(InputError, match="more than 100,000 values"):
        params.load(p)


@pytest.mark.parametrize(
    "name, ok",
    [
        ("RM-2026-001", True),
        ("0123", True),
        ("a.b_c-d", True),
        ("L" * 64, True),
        (".", False),
        ("..", False),
        (".failed", False),
        (".tmp-X", False),
        ("-a", False),
        ("_a", False),
        ("history", False),
        ("History", False),
        ("nul", False),
        ("COM1", False),
        ("a b", False),
        ("a/b", False),
        ("é", False),
        ("L" * 65, False),
    ],
)
def test_lot_name_rule(name, ok):
    if ok:
        assert params.check_lot_name(name) == name
    else:
        with pytest.raises(ValueError):
            params.check_lot_name(name)


def test_material_name_limit(tmp_path):
    p = lot(tmp_path)
    p.write_text(p.read_text().replace("material: m", "material: " + "m" * params.MATERIAL_MAX))
    assert len(params.load(p).params.material) == params.MATERIAL_MAX
    p.write_text(p.read_text().replace("material: m", "material: mm"))
    with pytest.raises(
        InputError,
        match=r"key 'material': the text has 301 characters, more than "
        r"the limit of 300",
    ):
        params.load(p)
    with pytest.raises(Exception, match="limit of 300"):  # the schema itself, for API users
        params.LotParameters(lot="L", material="m" * 301, seed=1, homogeneity={"data": "h.csv"})


def test_any_text_over_the_limit_names_the_key(tmp_path):
    p = lot(tmp_path, top=f"certificate: {{description: {'d' * 10_001}}}\n")
    with pytest.raises(InputError, match=r"key 'certificate.description': the text has 10,001 characters"):
        params.load(p)


def test_symlink_loop_data_path(tmp_path):
    p = lot(tmp_path)
    os.symlink("b.csv", tmp_path / "a.csv")
    os.symlink("a.csv", tmp_path / "b.csv")
    p.write_text(p.read_text().replace("data: h.csv", "data: a.csv"))
    with pytest.raises(InputError, match=r"lot.yaml, key 'homogeneity.data': data path 'a.csv' is a loop"):
        params.load(p)


def test_problems_lists_every_schema_error_once(tmp_path):
    p = lot(tmp_path, "  alpha: .nan\n  bayes: 1\n", name="'..'", top="seed2: 3\n")
    found = preflight.problems(p)
    assert all(isinstance(e, InputError) for e in found)
    keys = sorted(e.key for e in found)
    assert keys == ["homogeneity.alpha", "homogeneity.bayes", "lot", "seed2"], [str(e) for e in found]


def test_problems_is_empty_for_a_valid_lot_and_load_agrees(tmp_path):
    p = lot(tmp_path)
    assert preflight.problems(p) == []
    lot_, data, found = preflight.survey(p)
    assert found == [] and lot_.params.lot == "L-1" and len(data["homogeneity"]) == 4
    assert math.isclose(data["homogeneity"]["value"].sum(), 1.0 + 1.1 + 1.2 + 1.25)
