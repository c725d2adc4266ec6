"""The datasets layer: a checked local cache of MNIST, Fashion-MNIST and TFDS datasets, filled without Keras."""
