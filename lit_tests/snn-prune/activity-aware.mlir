// RUN: xdsl-opt %s -p 'snn-prune{threshold=0.2 activity_aware=true}' --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p 'snn-prune{threshold=0.2 activity-aware=true}' --split-input-file | filecheck %s

// Saliency |w| * std of the presynaptic spikes, sqrt(rate (1 - rate)) = [0.5, 0, 0.433]:
// [[0.1, 0, 0.433], [0.15, 0, 0.866]]. The pruned
// weights' mean current (0.2*0.5 - 4*0 = 0.1 and -0.3*0.5 + 0.1*0 = -0.15) moves into the
// bias, so the linear op becomes affine. The first layer reads the graph input, whose profiled
// rates [0.5, 0.1] (std [0.5, 0.3]) give saliency [[0.5, 0.045], [1.5, 1.2], [2.5, 1.8]]: the
// weight 0.15 goes and its mean current 0.015 moves into the bias.
snn.graph @fold_into_bias(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64, snn.input_rates = [dense<[0.5, 0.1]> : tensor<2xf32>]} {
  %h = snn.linear %x {weight = dense<[[1.0, 0.15], [3.0, 4.0], [5.0, 6.0]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
  %s = snn.if %h {r = dense<1.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>, firing_rates = dense<[0.5, 0.0, 0.25]> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %y = snn.linear %s {weight = dense<[[0.2, -4.0, 1.0], [-0.3, 0.1, 2.0]]> : tensor<2x3xf32>} : tensor<3xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @fold_into_bias
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 0.41666666666666663 : f64, pruned = 5 : i64, threshold = 2.000000e-01 : f64, unprofiled = 0 : i64}]
// CHECK-NEXT:    %h = snn.affine %x {weight = dense<{{\[\[}}1.000000e+00, 0.000000e+00], [3.000000e+00, 4.000000e+00], [5.000000e+00, 6.000000e+00]]> : tensor<3x2xf32>, bias = dense<[0.0150000006, 0.000000e+00, 0.000000e+00]> : tensor<3xf32>}
// CHECK-NEXT:    %s = snn.if %h
// CHECK-NEXT:    %y = snn.affine %s {weight = dense<{{\[\[}}0.000000e+00, 0.000000e+00, 1.000000e+00], [0.000000e+00, 0.000000e+00, 2.000000e+00]]> : tensor<2x3xf32>, bias = dense<[1.000000e-01, -1.500000e-01]> : tensor<2xf32>}
// CHECK-NEXT:    snn.output %y : tensor<2xf32>

// -----

// Rates reach the synapse through element-wise ops: a scale by 2 doubles the mean input to
// [0, 0.1]; taken as spike rates, their standard deviations are sqrt(m (1 - m)) = [0, 0.3],
// so saliency is [0, 0.3]. The weight 5 reads a neuron that never fired: it goes for free
// (its mean current is 0). The weight 1 stays.
snn.graph @through_scale(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %s = snn.if %x {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>, firing_rates = dense<[0.0, 0.05]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %t = snn.scale %s {scale = dense<[2.0, 2.0]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.affine %t {weight = dense<[[5.0, 1.0]]> : tensor<1x2xf32>, bias = dense<0.5> : tensor<1xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @through_scale
// CHECK:         %y = snn.affine %t {weight = dense<{{\[\[}}0.000000e+00, 1.000000e+00]]> : tensor<1x2xf32>, bias = dense<5.000000e-01> : tensor<1xf32>}

// -----

// A convolution folds per output channel: each pruned tap times its input channel's mean
// rate over all positions (0.25 for channel 0, 0.5 for channel 1; standard deviations 0.433
// and 0.5). At borders, where the tap reads zero padding, this over-compensates (a profiled
// input moment has the exact mean per tap).
snn.graph @conv_channels(%x: tensor<2x4xf32>) -> tensor<1x4xf32> attributes {dt = 1.0 : f64} {
  %s = snn.if %x {r = dense<1.0> : tensor<2x4xf32>, v_threshold = dense<1.0> : tensor<2x4xf32>, v_reset = dense<0.0> : tensor<2x4xf32>, firing_rates = dense<[[0.0, 0.5, 0.0, 0.5], [0.5, 0.5, 0.5, 0.5]]> : tensor<2x4xf32>} : tensor<2x4xf32> -> tensor<2x4xf32>
  %c = snn.conv1d %s {weight = dense<[[[0.5, 1.0, 2.0], [0.2, 0.4, 1.0]]]> : tensor<1x2x3xf32>, bias = dense<1.0> : tensor<1xf32>, stride = array<i64: 1>, padding = array<i64: 1>, dilation = array<i64: 1>, groups = 1 : i64} : tensor<2x4xf32> -> tensor<1x4xf32>
  snn.output %c : tensor<1x4xf32>
}

// saliency [[0.217, 0.433, 0.866], [0.1, 0.2, 0.5]]: taps 0.2 and 0.4 (ch 1) go;
// bias 1 + (0.2 + 0.4)*0.5 = 1.3
// CHECK-LABEL: snn.graph @conv_channels
// CHECK:         %c = snn.conv1d %s {weight = dense<{{\[\[\[}}5.000000e-01, 1.000000e+00, 2.000000e+00], [0.000000e+00, 0.000000e+00, 1.000000e+00]]]> : tensor<1x2x3xf32>, bias = dense<1.300000e+00> : tensor<1xf32>
