// RUN: xdsl-opt %s -p snn-fuse --split-input-file | filecheck %s

// Linear into linear: one linear with W = W2 W1.
snn.graph @linear_linear(%x: tensor<2xf32>) -> tensor<3xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %a {weight = dense<[[1.0, 0.0], [0.0, 1.0], [1.0, -1.0]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
  snn.output %b : tensor<3xf32>
}

// CHECK-LABEL: @linear_linear
// CHECK-NEXT:    %b = snn.linear %x {weight = dense<[[1.000000e+00, 2.000000e+00], [3.000000e+00, 4.000000e+00], [-2.000000e+00, -2.000000e+00]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
// CHECK-NEXT:    snn.output %b : tensor<3xf32>

// -----

// Affine into affine: b = W2 b1 + b2; a rank-2 input keeps being read flattened.
snn.graph @affine_affine(%x: tensor<2x2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.affine %x {weight = dense<[[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 1.0, 0.0]]> : tensor<2x4xf32>, bias = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2x2xf32> -> tensor<2xf32>
  %b = snn.affine %a {weight = dense<[[2.0, 0.0], [1.0, 1.0]]> : tensor<2x2xf32>, bias = dense<[0.5, -3.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %b : tensor<2xf32>
}

// CHECK-LABEL: @affine_affine
// CHECK-NEXT:    %b = snn.affine %x {weight = dense<[[2.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e+00], [1.000000e+00, 1.000000e+00, 1.000000e+00, 1.000000e+00]]> : tensor<2x4xf32>, bias = dense<[2.500000e+00, 0.000000e+00]> : tensor<2xf32>} : tensor<2x2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %b : tensor<2xf32>

// -----

// Affine into linear: the bias goes through the second weight.
snn.graph @affine_linear(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.affine %x {weight = dense<[[1.0, 1.0], [1.0, -1.0]]> : tensor<2x2xf32>, bias = dense<[1.0, 2.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %a {weight = dense<[[0.5, 0.25]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %b : tensor<1xf32>
}

// CHECK-LABEL: @affine_linear
// CHECK-NEXT:    %b = snn.affine %x {weight = dense<{{\[\[}}7.500000e-01, 2.500000e-01]]> : tensor<1x2xf32>, bias = dense<1.000000e+00> : tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %b : tensor<1xf32>

// -----

// Three layers collapse into one.
snn.graph @three(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %a {weight = dense<[[0.0, 1.0], [1.0, 0.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %c = snn.linear %b {weight = dense<[[1.0, 1.0], [0.0, 1.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %c : tensor<2xf32>
}

// CHECK-LABEL: @three
// CHECK-NEXT:    %c = snn.linear %x {weight = dense<[[1.000000e+00, 2.000000e+00], [1.000000e+00, 0.000000e+00]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %c : tensor<2xf32>

// -----

// Must not change: the intermediate value has a second use (a graph output).
snn.graph @shared_middle(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) attributes {dt = 1.0e-04 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %a {weight = dense<[[1.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %a, %b : tensor<2xf32>, tensor<2xf32>
}

// CHECK-LABEL: @shared_middle
// CHECK-NEXT:    %a = snn.linear %x
// CHECK-NEXT:    %b = snn.linear %a
// CHECK-NEXT:    snn.output %a, %b : tensor<2xf32>, tensor<2xf32>

// -----

// Must not change: through a one-neuron middle layer 4 + 4 weights would become 4 x 4 = 16,
// so fusing would grow the weight count.
snn.graph @bottleneck(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>} : tensor<4xf32> -> tensor<1xf32>
  %b = snn.linear %a {weight = dense<[[1.0], [2.0], [3.0], [4.0]]> : tensor<4x1xf32>} : tensor<1xf32> -> tensor<4xf32>
  snn.output %b : tensor<4xf32>
}

// CHECK-LABEL: @bottleneck
// CHECK-NEXT:    %a = snn.linear %x {{.*}} : tensor<4xf32> -> tensor<1xf32>
// CHECK-NEXT:    %b = snn.linear %a {{.*}} : tensor<1xf32> -> tensor<4xf32>
// CHECK-NEXT:    snn.output %b : tensor<4xf32>

// -----

// Must not change: a spiking layer lies between the two linear layers.
snn.graph @through_neurons(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.if %a {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %s {weight = dense<[[1.0, 0.0], [0.0, 2.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %b : tensor<2xf32>
}

// CHECK-LABEL: @through_neurons
// CHECK-NEXT:    %a = snn.linear %x
// CHECK-NEXT:    %s = snn.if %a
// CHECK-NEXT:    %b = snn.linear %s
// CHECK-NEXT:    snn.output %b : tensor<2xf32>
