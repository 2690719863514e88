"""examples/byol_pretrain.py and byol_finetune.py (S7): quick runs of the whole pipeline."""
import re

import numpy as np

import minidl

from .test_examples import run_example


def test_pretrain_then_all_five_settings_and_frozen_backbones_stay_bit_identical(tmp_path):
    out = run_example("byol_pretrain.py", "--quick", "--size", "16", "--out", "pre", cwd=tmp_path)
    assert "generated SHAPES stand-in" in out
    assert re.search(r"epoch 0 \(random backbone\): k-NN probe accuracy [\d.]+%", out)
    assert re.search(r"epoch 1/1  byol_loss [\d.]+  tau 1\.00000 .*k-NN probe accuracy", out)
    for name in ("backbone.ckpt", "last.ckpt", "metrics.csv", "curves.png"):
        assert (tmp_path / "pre" / name).stat().st_size > 0, name
    ssl = minidl.load(tmp_path / "pre" / "backbone.ckpt")["backbone"]
    assert "layer4.1.bn2.running_var" in ssl and "predictor" not in " ".join(ssl)

    out = run_example("byol_finetune.py", "--all", "--quick", "--size", "16", "--ssl-backbone",
                      "pre/backbone.ckpt", "--out", "ft", "--no-progress", cwd=tmp_path)
    assert "GENERATED 65-class" in out and "training a stand-in for it" in out
    rows = re.findall(r"^([A-E]) +(random|provided|ssl) +(full|classifier only) +([\d.]+)% /",
                      out, flags=re.M)
    assert [r[0] for r in rows] == list("ABCDE")
    assert out.count("backbone unchanged (bit-identical): yes") == 2
    # independently of the script's own check: the frozen backbones equal their files
    provided = minidl.load(tmp_path / "ft" / "provided-standin" / "backbone.ckpt")["backbone"]
    for setting, source in (("D", provided), ("E", ssl)):
        model = minidl.load(tmp_path / "ft" / f"setting-{setting}" / "final.ckpt")["model"]
        for key, value in source.items():
            if key.startswith("fc."):  # the pre-training classifier is replaced
                continue
            np.testing.assert_array_equal(np.asarray(model[key]), np.asarray(value), err_msg=key)
    # a fully fine-tuned backbone does move
    model_c = minidl.load(tmp_path / "ft" / "setting-C" / "final.ckpt")["model"]
    assert not np.array_equal(np.asarray(model_c["conv1.weight"]), np.asarray(ssl["conv1.weight"]))


def test_finetune_without_the_own_backbone_says_what_to_run(tmp_path):
    import subprocess
    import sys

    from .test_examples import EXAMPLES
    proc = subprocess.run([sys.executable, str(EXAMPLES / "byol_finetune.py"), "--setting", "E",
                           "--quick", "--ssl-backbone", "missing.ckpt"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0 and "run examples/byol_pretrain.py first" in proc.stderr
