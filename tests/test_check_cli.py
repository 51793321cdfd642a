"""`mph-rules check`: one question to a pack, the verdict with its articles, and a hint for a
misspelt name; exit 0 allowed, 1 denied, 2 bad input."""

from __future__ import annotations

import json

import pytest

from mph_rules.cli import main
from mph_rules.engine import Engine
from mph_rules.loading import load_pack


def test_access_denied_names_the_rule_and_article(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", "access", "procesregisseur", "police_special", "--pack", "hilversum"]
    assert main([*args, "--phase", "execution"]) == 1
    out = capsys.readouterr().out
    assert out.startswith("Mag procesregisseur police_special inzien?\nGEWEIGERD")
    assert "pr art. 6(2)" in out
    assert main([*args, "--phase", "execution", "--format", "json"]) == 1
    verdict = Engine(load_pack("hilversum")).check_access(
        "procesregisseur", "police_special", phase="execution"
    )
    assert json.loads(capsys.readouterr().out) == verdict.to_dict()


def test_sharing_reads_the_provision_fields(capsys: pytest.CaptureFixture[str]) -> None:
    base = ["check", "sharing", "police_wijkagent", "triagist", "police_special", "police_identity"]
    base += ["--pack", "hilversum", "--phase", "triage", "--lang", "en"]
    assert main([*base, "--set", "unavoidable=true"]) == 0
    assert "ALLOWED" in capsys.readouterr().out
    # PR art. 11(3): special police data only when unavoidable
    assert main([*base, "--set", "unavoidable=false"]) == 1
    out = capsys.readouterr().out
    assert "DENIED" in out and "pr11_3_special_police_data_conditions" in out


def test_intake_with_facts(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", "intake", "--pack", "hilversum"]
    assert main([*args, "--fact", 'life_domains=["work", "housing", "debts"]']) == 0
    assert "TOELAATBAAR" in capsys.readouterr().out
    assert main([*args, "--fact", 'life_domains=["work"]', "--lang", "en"]) == 1
    assert "NOT ELIGIBLE" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (
            ["access", "procesregiseur", "police_special", "--phase", "execution"],
            "'procesregisseur'",
        ),
        (
            ["access", "procesregisseur", "police_specal", "--phase", "execution"],
            "'police_special'",
        ),
        (["access", "procesregisseur", "police_special", "--phase", "executon"], "'execution'"),
        (
            ["sharing", "police_wijkagent", "triagst", "police_special", "--phase", "triage"],
            "'triagist'",
        ),
    ],
)
def test_a_misspelt_name_gets_did_you_mean(
    args: list[str], hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", *args, "--pack", "hilversum"]) == 2
    assert f"did you mean {hint}?" in capsys.readouterr().err


def test_phase_is_required_where_the_pack_has_several(capsys: pytest.CaptureFixture[str]) -> None:
    assert (
        main(["check", "access", "procesregisseur", "police_special", "--pack", "hilversum"]) == 2
    )
    assert "--phase is required" in capsys.readouterr().err


def test_errors_in_dutch_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", "access", "procesregiseur", "police_special", "--pack", "hilversum"]
    assert main([*args, "--phase", "execution", "--lang", "nl"]) == 2
    err = capsys.readouterr().err
    assert "fout[MPH-C002]: onbekende rol 'procesregiseur' (bedoelde u 'procesregisseur'?)" in err
    assert "zie docs/errors/MPH-C002.md" in err
