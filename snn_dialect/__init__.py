"""An optimizing compiler for spiking neural networks built on an xDSL `snn` dialect."""
