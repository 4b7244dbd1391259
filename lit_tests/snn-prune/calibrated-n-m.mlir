// N:M sparsity with refit: at most N nonzero weights in every M consecutive inputs.
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated n_m="1:2" damping=1.0e-6 keep_variance=false}' | filecheck %s
// RUN: xdsl-opt %s -p 'snn-prune{n_m="1:2"}' | filecheck %s --check-prefix=MAGNITUDE

// Four independent inputs of rate 0.5: the best refit keeps the surviving weights and moves
// the mean current of each removed weight (0.5 * w) into the bias:
// row 0 loses -0.25 and 0.5 (bias 0.5 + 0.125), row 1 loses 0.1 and 0.2 (bias -0.5 + 0.15).
snn.graph @pairs(%x: tensor<4xf32>) -> tensor<2xf32> attributes {dt = 1.0 : f64} {
  %y = snn.affine %x {weight = dense<[[1.0, -0.25, 0.5, 2.0], [0.1, 1.0, -3.0, 0.2]]> : tensor<2x4xf32>, bias = dense<[0.5, -0.5]> : tensor<2xf32>, input_moment = dense<[[[0.5, 0.25, 0.25, 0.25, 0.5], [0.25, 0.5, 0.25, 0.25, 0.5], [0.25, 0.25, 0.5, 0.25, 0.5], [0.25, 0.25, 0.25, 0.5, 0.5], [0.5, 0.5, 0.5, 0.5, 1.0]]]> : tensor<1x5x5xf32>} : tensor<4xf32> -> tensor<2xf32>
  snn.output %y : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @pairs
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 4 : i64, n_m = "1:2", method = "calibrated", current_error = 0.0943{{[0-9]+}} : f64, max_layer_current_error = 0.0943{{[0-9]+}} : f64}]} {
// CHECK-NEXT:    %y = snn.affine %x {weight = dense<{{\[\[}}1.{{0+[0-9]*}}, 0.000000e+00, 0.000000e+00, 2.{{0+[0-9]*}}], [0.000000e+00, 1.{{0+[0-9]*}}, -2.9999{{[0-9]*}}, 0.000000e+00]]> : tensor<2x4xf32>, bias = dense<[0.6249{{[0-9]*}}, -0.3500{{[0-9]*}}]> : tensor<2xf32>

// Magnitude N:M keeps the larger weight of each pair and leaves the bias alone.
// MAGNITUDE:     snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 4 : i64, n_m = "1:2"}]
// MAGNITUDE-NEXT: %y = snn.affine %x {weight = dense<{{\[\[}}1.000000e+00, 0.000000e+00, 0.000000e+00, 2.000000e+00], [0.000000e+00, 1.000000e+00, -3.000000e+00, 0.000000e+00]]> : tensor<2x4xf32>, bias = dense<[5.000000e-01, -5.000000e-01]> : tensor<2xf32>
