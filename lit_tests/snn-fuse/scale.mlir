// RUN: xdsl-opt %s -p snn-fuse --split-input-file | filecheck %s

// A scale before a dense synapse scales its columns, element by element (rank-2 input read
// flattened row-major).
snn.graph @scale_before_dense(%x: tensor<2x2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.scale %x {scale = dense<[[2.0, 0.5], [-1.0, 0.0]]> : tensor<2x2xf32>} : tensor<2x2xf32> -> tensor<2x2xf32>
  %y = snn.linear %s {weight = dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>} : tensor<2x2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: @scale_before_dense
// CHECK-NEXT:    %y = snn.linear %x {weight = dense<{{\[\[}}2.000000e+00, 1.000000e+00, -3.000000e+00, 0.000000e+00]]> : tensor<1x4xf32>} : tensor<2x2xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %y : tensor<1xf32>

// -----

// A scale after an affine synapse scales its rows and its bias.
snn.graph @scale_after_dense(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0e-04 : f64} {
  %a = snn.affine %x {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>, bias = dense<[1.0, 1.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.scale %a {scale = dense<[2.0, -0.5]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK-LABEL: @scale_after_dense
// CHECK-NEXT:    %s = snn.affine %x {weight = dense<[[2.000000e+00, 4.000000e+00], [-1.500000e+00, -2.000000e+00]]> : tensor<2x2xf32>, bias = dense<[2.000000e+00, -5.000000e-01]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    snn.output %s : tensor<2xf32>

// -----

// A scale constant per channel folds into a convolution on either side.
snn.graph @scale_conv_channels(%x: tensor<2x3xf32>) -> tensor<1x3xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.scale %x {scale = dense<[[2.0, 2.0, 2.0], [0.5, 0.5, 0.5]]> : tensor<2x3xf32>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %c = snn.conv1d %s {weight = dense<[[[1.0, 1.0, 1.0], [4.0, 4.0, 4.0]]]> : tensor<1x2x3xf32>, bias = dense<1.0> : tensor<1xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<2x3xf32> -> tensor<1x3xf32>
  %t = snn.scale %c {scale = dense<3.0> : tensor<1x3xf32>} : tensor<1x3xf32> -> tensor<1x3xf32>
  snn.output %t : tensor<1x3xf32>
}

// CHECK-LABEL: @scale_conv_channels
// CHECK-NEXT:    %t = snn.conv1d %x {weight = dense<6.000000e+00> : tensor<1x2x3xf32>, bias = dense<3.000000e+00> : tensor<1xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<2x3xf32> -> tensor<1x3xf32>
// CHECK-NEXT:    snn.output %t : tensor<1x3xf32>

// -----

// Must not change: a scale that varies within a channel commutes with no convolution.
snn.graph @scale_conv_elements(%x: tensor<1x3xf32>) -> tensor<1x3xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.scale %x {scale = dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>} : tensor<1x3xf32> -> tensor<1x3xf32>
  %c = snn.conv1d %s {weight = dense<1.0> : tensor<1x1x3xf32>, bias = dense<0.0> : tensor<1xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<1x3xf32> -> tensor<1x3xf32>
  %t = snn.scale %c {scale = dense<[[1.0, 2.0, 3.0]]> : tensor<1x3xf32>} : tensor<1x3xf32> -> tensor<1x3xf32>
  snn.output %t : tensor<1x3xf32>
}

// CHECK-LABEL: @scale_conv_elements
// CHECK-NEXT:    %s = snn.scale %x
// CHECK-NEXT:    %c = snn.conv1d %s
// CHECK-NEXT:    %t = snn.scale %c
// CHECK-NEXT:    snn.output %t : tensor<1x3xf32>

// -----

// A scale read by a synapse and by the graph output: the synapse reads the unscaled value,
// the scale stays for the output.
snn.graph @scale_shared(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<1xf32>) attributes {dt = 1.0e-04 : f64} {
  %s = snn.scale %x {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.linear %s {weight = dense<[[1.0, 1.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %s, %y : tensor<2xf32>, tensor<1xf32>
}

// CHECK-LABEL: @scale_shared
// CHECK-NEXT:    %s = snn.scale %x {scale = dense<[2.000000e+00, 3.000000e+00]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %y = snn.linear %x {weight = dense<{{\[\[}}2.000000e+00, 3.000000e+00]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %s, %y : tensor<2xf32>, tensor<1xf32>

// -----

// Must not change: a scale between a synapse and neurons whose synapse result has another
// use, and a scale after neurons with no synapse behind it.
snn.graph @scale_stays(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) attributes {dt = 1.0e-04 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.scale %a {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %v = snn.li %s {tau = dense<1.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %t = snn.scale %v {scale = dense<[2.0, 3.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %a, %t : tensor<2xf32>, tensor<2xf32>
}

// CHECK-LABEL: @scale_stays
// CHECK-NEXT:    %a = snn.linear %x
// CHECK-NEXT:    %s = snn.scale %a
// CHECK-NEXT:    %v = snn.li %s
// CHECK-NEXT:    %t = snn.scale %v
// CHECK-NEXT:    snn.output %a, %t : tensor<2xf32>, tensor<2xf32>

// -----

// A grouped convolution: a scale after it folds into its rows; a scale before it stays (its
// weight blocks are not indexed by the input channels).
snn.graph @scale_grouped_conv(%x: tensor<2x3xf32>) -> tensor<2x3xf32> attributes {dt = 1.0e-04 : f64} {
  %s = snn.scale %x {scale = dense<[[2.0, 2.0, 2.0], [0.5, 0.5, 0.5]]> : tensor<2x3xf32>} : tensor<2x3xf32> -> tensor<2x3xf32>
  %c = snn.conv1d %s {weight = dense<[[[1.0, 1.0, 1.0]], [[4.0, 4.0, 4.0]]]> : tensor<2x1x3xf32>, bias = dense<[1.0, 2.0]> : tensor<2xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 1>, groups = 2 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
  %t = snn.scale %c {scale = dense<[[3.0, 3.0, 3.0], [-1.0, -1.0, -1.0]]> : tensor<2x3xf32>} : tensor<2x3xf32> -> tensor<2x3xf32>
  snn.output %t : tensor<2x3xf32>
}

// CHECK-LABEL: @scale_grouped_conv
// CHECK-NEXT:    %s = snn.scale %x
// CHECK-NEXT:    %t = snn.conv1d %s {weight = dense<{{\[\[\[}}3.000000e+00, 3.000000e+00, 3.000000e+00]], {{\[\[}}-4.000000e+00, -4.000000e+00, -4.000000e+00]]]> : tensor<2x1x3xf32>, bias = dense<[3.000000e+00, -2.000000e+00]> : tensor<2xf32>, {{.*}} groups = 2 : i64} : tensor<2x3xf32> -> tensor<2x3xf32>
// CHECK-NEXT:    snn.output %t : tensor<2x3xf32>
