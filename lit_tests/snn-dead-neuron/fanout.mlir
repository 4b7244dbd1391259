// RUN: xdsl-opt %s -p snn-dead-neuron --split-input-file | filecheck %s

// Hidden neuron 1 has no fan-out (its readout column is zero): it goes with its row.
// The unused branch %u reaches no output and is erased.
snn.graph @no_fanout(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.affine %x {weight = dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>, bias = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>} : tensor<2xf32> -> tensor<3xf32>
  %s = snn.if %a {r = dense<1.0> : tensor<3xf32>, v_threshold = dense<[1.0, 2.0, 3.0]> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %u = snn.linear %s {weight = dense<1.0> : tensor<4x3xf32>} : tensor<3xf32> -> tensor<4xf32>
  %c = snn.linear %s {weight = dense<[[7.0, 0.0, 9.0]]> : tensor<1x3xf32>} : tensor<3xf32> -> tensor<1xf32>
  snn.output %c : tensor<1xf32>
}

// CHECK-LABEL: @no_fanout
// CHECK-NEXT:    %a = snn.affine %x {weight = dense<{{\[\[}}1.000000e+00, 2.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<2x2xf32>, bias = dense<[1.000000e-01, 3.000000e-01]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %s = snn.if %a {r = dense<1.000000e+00> : tensor<2xf32>, v_threshold = dense<[1.000000e+00, 3.000000e+00]> : tensor<2xf32>, v_reset = dense<0.000000e+00> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %c = snn.linear %s {weight = dense<{{\[\[}}7.000000e+00, 9.000000e+00]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %c : tensor<1xf32>

// -----

// Recurrent layer: neuron 2 is read by nobody, not even the recurrent weight (its column
// there is zero), so it leaves the feed-forward rows, the recurrent rows and columns, the
// add and the recurrent edge together.
snn.graph @recurrent(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %f = snn.linear %x {weight = dense<[[1.0], [2.0], [3.0]]> : tensor<3x1xf32>} : tensor<1xf32> -> tensor<3xf32>
  %r = snn.recurrent %s : tensor<3xf32> -> tensor<3xf32>
  %w = snn.linear %r {weight = dense<[[0.1, 0.2, 0.0], [0.3, 0.4, 0.0], [0.5, 0.6, 0.0]]> : tensor<3x3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %i = snn.add %f, %w : tensor<3xf32>
  %s = snn.lif %i {tau = dense<5.0e-3> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %o = snn.linear %s {weight = dense<[[1.0, -1.0, 0.0]]> : tensor<1x3xf32>} : tensor<3xf32> -> tensor<1xf32>
  snn.output %o : tensor<1xf32>
}

// CHECK-LABEL: @recurrent
// CHECK-NEXT:    %f = snn.linear %x {weight = dense<{{\[\[}}1.000000e+00], [2.000000e+00]]> : tensor<2x1xf32>} : tensor<1xf32> -> tensor<2xf32>
// CHECK-NEXT:    %r = snn.recurrent %s : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %w = snn.linear %r {weight = dense<{{\[\[}}1.000000e-01, 2.000000e-01], [3.000000e-01, 4.000000e-01]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %i = snn.add %f, %w : tensor<2xf32>
// CHECK-NEXT:    %s = snn.lif %i {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %o = snn.linear %s {weight = dense<{{\[\[}}1.000000e+00, -1.000000e+00]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
// CHECK-NEXT:    snn.output %o : tensor<1xf32>

// -----

// Convolutions: channel 1 of the first layer feeds the second through all-zero kernels, so
// the channel leaves the first conv's output, the IF population and the second conv's input.
snn.graph @conv_channel(%x: tensor<1x3x3xf32>) -> tensor<1x1x1xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.conv2d %x {weight = dense<[[[[1.0]]], [[[2.0]]]]> : tensor<2x1x1x1xf32>, bias = dense<[0.0, 0.5]> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x3x3xf32> -> tensor<2x3x3xf32>
  %s = snn.if %a {r = dense<1.0> : tensor<2x3x3xf32>, v_threshold = dense<1.0> : tensor<2x3x3xf32>, v_reset = dense<0.0> : tensor<2x3x3xf32>} : tensor<2x3x3xf32> -> tensor<2x3x3xf32>
  %b = snn.conv2d %s {weight = dense<[[[[1.0, 1.0, 1.0], [1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]]]> : tensor<1x2x3x3xf32>, bias = dense<0.0> : tensor<1xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 1 : i64} : tensor<2x3x3xf32> -> tensor<1x1x1xf32>
  snn.output %b : tensor<1x1x1xf32>
}

// CHECK-LABEL: @conv_channel
// CHECK-NEXT:    %a = snn.conv2d %x {weight = dense<1.000000e+00> : tensor<1x1x1x1xf32>, bias = dense<0.000000e+00> : tensor<1xf32>, {{.*}}} : tensor<1x3x3xf32> -> tensor<1x3x3xf32>
// CHECK-NEXT:    %s = snn.if %a {{.*}} : tensor<1x3x3xf32> -> tensor<1x3x3xf32>
// CHECK-NEXT:    %b = snn.conv2d %s {weight = dense<1.000000e+00> : tensor<1x1x3x3xf32>, bias = dense<0.000000e+00> : tensor<1xf32>, {{.*}}} : tensor<1x3x3xf32> -> tensor<1x1x1xf32>
// CHECK-NEXT:    snn.output %b : tensor<1x1x1xf32>
