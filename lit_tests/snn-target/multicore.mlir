// Multi-core chips: populations cut into core-sized pieces; a neuron too big for any core is
// a violation that names it. Splat weights keep the large networks small in text.
// RUN: xdsl-opt %s --split-input-file -p 'snn-target{chip=loihi2 report_only=true}' 2>&1 >/dev/null | filecheck %s --check-prefix=LOIHI
// RUN: xdsl-opt %s --split-input-file -p 'snn-target{chip=spinnaker2}' --verify-diagnostics | filecheck %s --check-prefix=SPINN

// 8193 neurons: one full Loihi 2 core of 8192 and one neuron on a second core.
// LOIHI-LABEL: fit of @wide on Intel Loihi 2 (one chip) (loihi2):
// LOIHI-NEXT:    chip
// LOIHI-NEXT:      cores on the chip: 2 / 128 (2%)
// LOIHI-NEXT:      bits of a weight (signed): 8 / 8 (100%)  at %w (snn.linear #0, 8193x1)
// LOIHI-NEXT:      nonzero incoming weights of one neuron: 1 / no limit  [no public source]
// LOIHI-NEXT:    core 0: %s (snn.lif #0, 8193)[0:8192]
// LOIHI-NEXT:      neurons a core holds: 8192 / 8192 (100%)
// LOIHI-NEXT:      synapses (nonzero weights) a core holds: 8192 / 937500 (1%)
// LOIHI-NEXT:    core 1: %s (snn.lif #0, 8193)[8192:8193]
// LOIHI:         FITS: @wide fits loihi2
// SpiNNaker2 (68 bytes a neuron with one input): 1927 neurons a core, five cores; it fits
// and the module is printed unchanged.
// SPINN-LABEL: snn.graph @wide
// SPINN-NEXT:    %w = snn.linear %x
snn.graph @wide(%x: tensor<1xf32>) -> tensor<8193xf32> attributes {dt = 1.0e-03 : f64} {
  %w = snn.linear %x {weight = dense<1.0> : tensor<8193x1xf32>, weight_scale = dense<1.0> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<1xf32> -> tensor<8193xf32>
  %s = snn.lif %w {tau = dense<2.0e-02> : tensor<8193xf32>, r = dense<1.0> : tensor<8193xf32>, v_leak = dense<0.0> : tensor<8193xf32>, v_threshold = dense<1.0> : tensor<8193xf32>, v_reset = dense<0.0> : tensor<8193xf32>} : tensor<8193xf32> -> tensor<8193xf32>
  snn.output %s : tensor<8193xf32>
}

// -----

// One SpiNNaker2 neuron with 32753 inputs needs 64 + 4 x 32753 = 131076 bytes of a
// processing element's 131072.
// LOIHI-LABEL: fit of @deep
// LOIHI:         FITS: @deep fits loihi2
// SPINN: snn-target: @deep does not fit spinnaker2: %s (snn.lif #0, 1) neuron 0: one neuron needs 131076 bytes (fan-in 32753), a core has 131072; snn-prune{sparsity=0.01} zeros enough weights (layer-wise, so check each neuron again)
snn.graph @deep(%x: tensor<32753xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %w = snn.linear %x {weight = dense<1.0> : tensor<1x32753xf32>, weight_scale = dense<1.0> : tensor<1xf32>, weight_bits = 8 : i64} : tensor<32753xf32> -> tensor<1xf32>
  %s = snn.lif %w {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %s : tensor<1xf32>
}
