// keep_variance (default true with method=calibrated): after the refit, each output's
// weights are scaled about its mean current so that the current's variance on the profiled
// moment stays what it was; the bias keeps the mean. A second run changes nothing.
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated sparsity=0.5 damping=1.0e-6},snn-prune{method=calibrated sparsity=0.5 damping=1.0e-6}' | filecheck %s
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated sparsity=0.5 damping=1.0e-6 keep_variance=false}' | filecheck %s --check-prefix=PLAIN

// Two independent inputs firing at rate 0.5 (variance 0.25 each). The weight 1.0 goes; no
// other input carries its fluctuation, so the least-squares refit only moves its mean
// current 0.5 into the bias (PLAIN): variance 2^2 * 0.25 = 1.0 instead of 1.25. Keeping the
// variance scales the weight 2.0 by sqrt(1.25) = 1.1180 to 2.2361, and the bias
// 0.5 + 2 * 0.5 * (1 - 1.1180) = 0.3820 keeps the mean current 1.5.
snn.graph @independent(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[1.0, 2.0]]> : tensor<1x2xf32>, input_moment = dense<[[[0.5, 0.25, 0.5], [0.25, 0.5, 0.5], [0.5, 0.5, 1.0]]]> : tensor<1x3x3xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @independent
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 1 : i64, scope = "layer", target = 5.000000e-01 : f64, method = "calibrated", current_error = {{[0-9.]+}} : f64, max_layer_current_error = {{[0-9.]+}} : f64}]} {
// CHECK-NEXT:    %y = snn.affine %x {weight = dense<{{\[\[}}0.000000e+00, 2.23606{{[0-9]*}}]]> : tensor<1x2xf32>, bias = dense<0.38196{{[0-9]*}}> : tensor<1xf32>, input_moment
// CHECK-NEXT:    snn.output %y

// PLAIN-LABEL: snn.graph @independent
// PLAIN-NEXT:    %y = snn.affine %x {weight = dense<{{\[\[}}0.000000e+00, {{2.00000[0-9]*|1.99999[0-9]*}}]]> : tensor<1x2xf32>, bias = dense<{{0.5|0.49999[0-9]*|5.000000e-01}}> : tensor<1xf32>, input_moment
