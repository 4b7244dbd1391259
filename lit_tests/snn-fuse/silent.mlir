// RUN: xdsl-opt %s -p snn-fuse --split-input-file | filecheck %s

// The seed's case: a middle spiking layer that can never fire (its drive from spikes stays
// below 0.5 + 0.5 < 20) sits between two linear layers. Its consumer sees zeros: the
// consumer's columns become zero. The two linear layers are NOT multiplied together.
snn.graph @silent_middle(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s0 = snn.lif %x {tau = dense<2.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<0.5> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %h = snn.linear %s0 {weight = dense<[[0.5, 0.5], [0.25, -1.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s1 = snn.lif %h {tau = dense<2.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<20.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.linear %s1 {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: @silent_middle
// CHECK-NEXT:    %s0 = snn.lif %x
// CHECK-NEXT:    %h = snn.linear %s0 {weight = dense<[[5.000000e-01, 5.000000e-01], [2.500000e-01, -1.000000e+00]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %s1 = snn.lif %h
// CHECK-NEXT:    %y = snn.linear %s1 {weight = dense<0.000000e+00> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %y : tensor<2xf32>

// -----

// One neuron of the layer is silent (threshold 20), the other can fire: only its column goes.
// The zero bias of an affine consumer stays as it is.
snn.graph @silent_neuron(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %s0 = snn.if %x {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %h = snn.linear %s0 {weight = dense<[[1.0, 1.0], [1.0, 1.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s1 = snn.lif %h {tau = dense<2.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<[20.0, 0.5]> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.affine %s1 {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>, bias = dense<[0.0, 1.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: @silent_neuron
// CHECK-NEXT:    %s0 = snn.if %x
// CHECK-NEXT:    %h = snn.linear %s0
// CHECK-NEXT:    %s1 = snn.lif %h
// CHECK-NEXT:    %y = snn.affine %s1 {weight = dense<[[0.000000e+00, 2.000000e+00], [0.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>, bias = dense<[0.000000e+00, 1.000000e+00]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %y : tensor<2xf32>

// -----

// The collapse cascades: the silent layer's consumer becomes all-zero, so the next layer's
// drive is zero and it cannot fire either; its consumer's columns become zero too.
snn.graph @cascade(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %s0 = snn.if %x {r = dense<1.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %h1 = snn.linear %s0 {weight = dense<0.5> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %s1 = snn.lif %h1 {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %h2 = snn.linear %s1 {weight = dense<5.0> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %s2 = snn.lif %h2 {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<1.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %y = snn.linear %s2 {weight = dense<3.0> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: @cascade
// CHECK-NEXT:    %s0 = snn.if %x
// CHECK-NEXT:    %h1 = snn.linear %s0 {weight = dense<5.000000e-01> : tensor<1x1xf32>}
// CHECK-NEXT:    %s1 = snn.lif %h1
// CHECK-NEXT:    %h2 = snn.linear %s1 {weight = dense<0.000000e+00> : tensor<1x1xf32>}
// CHECK-NEXT:    %s2 = snn.lif %h2
// CHECK-NEXT:    %y = snn.linear %s2 {weight = dense<0.000000e+00> : tensor<1x1xf32>}
// CHECK-NEXT:    snn.output %y : tensor<1xf32>

// -----

// A convolution loses the input channels that are silent as a whole (channel 0); channel 1
// has one neuron that can fire, so it stays.
snn.graph @silent_channel(%x: tensor<2x2xf32>) -> tensor<1x2xf32> attributes {dt = 1.0e-04 : f64} {
  %s0 = snn.if %x {r = dense<1.0> : tensor<2x2xf32>, v_threshold = dense<1.0> : tensor<2x2xf32>, v_reset = dense<0.0> : tensor<2x2xf32>} : tensor<2x2xf32> -> tensor<2x2xf32>
  %c0 = snn.conv1d %s0 {weight = dense<0.25> : tensor<2x2x1xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<2x2xf32> -> tensor<2x2xf32>
  %s1 = snn.lif %c0 {tau = dense<2.0e-02> : tensor<2x2xf32>, r = dense<1.0> : tensor<2x2xf32>, v_leak = dense<0.0> : tensor<2x2xf32>, v_threshold = dense<[[5.0, 5.0], [5.0, 0.1]]> : tensor<2x2xf32>, v_reset = dense<0.0> : tensor<2x2xf32>} : tensor<2x2xf32> -> tensor<2x2xf32>
  %c1 = snn.conv1d %s1 {weight = dense<[[[1.0], [2.0]]]> : tensor<1x2x1xf32>, bias = dense<0.5> : tensor<1xf32>, stride = array<i64: 1>, padding = array<i64: 0>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<2x2xf32> -> tensor<1x2xf32>
  snn.output %c1 : tensor<1x2xf32>
}

// CHECK-LABEL: @silent_channel
// CHECK-NEXT:    %s0 = snn.if %x
// CHECK-NEXT:    %c0 = snn.conv1d %s0
// CHECK-NEXT:    %s1 = snn.lif %c0
// CHECK-NEXT:    %c1 = snn.conv1d %s1 {weight = dense<{{\[\[\[}}0.000000e+00], [2.000000e+00]]]> : tensor<1x2x1xf32>, bias = dense<5.000000e-01> : tensor<1xf32>
// CHECK-NEXT:    snn.output %c1 : tensor<1x2xf32>

// -----

// Must not change: graph inputs are unbounded, so a layer driven by them may fire.
snn.graph @may_fire(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %h = snn.linear %x {weight = dense<0.001> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %s = snn.lif %h {tau = dense<2.0e-02> : tensor<1xf32>, r = dense<1.0> : tensor<1xf32>, v_leak = dense<0.0> : tensor<1xf32>, v_threshold = dense<20.0> : tensor<1xf32>, v_reset = dense<0.0> : tensor<1xf32>} : tensor<1xf32> -> tensor<1xf32>
  %y = snn.linear %s {weight = dense<3.0> : tensor<1x1xf32>} : tensor<1xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: @may_fire
// CHECK-NEXT:    %h = snn.linear %x
// CHECK-NEXT:    %s = snn.lif %h
// CHECK-NEXT:    %y = snn.linear %s {weight = dense<3.000000e+00> : tensor<1x1xf32>}
// CHECK-NEXT:    snn.output %y : tensor<1xf32>
