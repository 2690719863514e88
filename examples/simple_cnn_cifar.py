"""S1 simple-cnn-cifar: a three-block CNN on CIFAR-10, as in the course report.

Model: three blocks of Conv3x3(padding 1) -> BatchNorm -> ReLU -> MaxPool2x2 with 32, 64
and 128 channels, then Flatten -> Linear(128*4*4 -> 10): 114,186 parameters.

Recipe (the report's): CrossEntropy, Adam lr 1e-3, StepLR halving every 10 epochs,
30 epochs, validation every epoch, best checkpoint by validation accuracy reloaded for
the test; curves of loss and accuracy. Report: 80.76% test accuracy.

Without CIFAR-10 on disk and without network, the default command trains on the generated
stand-in set (a banner says so). --quick is a 1-2 minute smoke run.

  python examples/simple_cnn_cifar.py
  python examples/simple_cnn_cifar.py --quick
"""
from cifar_training import Recipe, run

from minidl.models import SimpleCNN

RECIPE = Recipe(
    name="simple_cnn_cifar",
    description=__doc__,
    build_model=lambda: SimpleCNN(in_channels=3, num_classes=10),
    optimizer="adam",
    lr=1e-3,
    weight_decay=0.0,
    epochs=30,
    batch_size=128,
    scheduler="step",
    step_size=10,
    gamma=0.5,
    synthetic_train=10_000,
    synthetic_test=2_000,
    synthetic_epochs=5,
)

if __name__ == "__main__":
    run(RECIPE)
