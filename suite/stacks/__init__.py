"""Stacks: the package sets a matrix runs the suite on, declared in a file, resolved and built with uv.

A stack is the pins of a matrix's axes (TensorFlow, Keras, JAX, NumPy, the Python and the Keras
backend) plus the suite's own runtime dependencies left unpinned, so that the resolver picks what
fits. Each built stack is a virtual environment whose interpreter runs the checkout's code.
"""
