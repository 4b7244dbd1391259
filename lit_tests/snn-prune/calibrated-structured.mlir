// Structured calibrated pruning: whole neurons go, ranked by what their removal costs the
// consumers, and each consumer is refit by least squares on its input moment.
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated structured=true sparsity=0.25 damping=1.0e-6 keep_variance=false}' | filecheck %s
// A second run, on the printed and re-parsed result, changes nothing: both synapse ops carry
// what they had before (`unpruned_weights`), so the target is met (one note only).
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated structured=true sparsity=0.25 damping=1.0e-6 keep_variance=false}' \
// RUN:   | xdsl-opt -p 'snn-prune{method=calibrated structured=true sparsity=0.25 damping=1.0e-6 keep_variance=false}' \
// RUN:   | filecheck %s

// Hidden neurons 0 and 2 spike together (the consumer's moment says so): dropping neuron 2
// costs nothing once its outgoing weight 0.5 joins neuron 0's (1.0 + 0.5). The consumer's
// moment loses the row and column of the removed input.
snn.graph @twins(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %w = snn.linear %x {weight = dense<[[1.0, 1.0], [2.0, 2.0], [1.0, 1.0]]> : tensor<3x2xf32>} : tensor<2xf32> -> tensor<3xf32>
  %h = snn.lif %w {tau = dense<5.0> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<1.0> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  %y = snn.linear %h {weight = dense<[[1.0, 2.0, 0.5]]> : tensor<1x3xf32>, input_moment = dense<[[[0.5, 0.25, 0.5, 0.5], [0.25, 0.5, 0.25, 0.5], [0.5, 0.25, 0.5, 0.5], [0.5, 0.5, 0.5, 1.0]]]> : tensor<1x4x4xf32>} : tensor<3xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @twins
// CHECK-SAME:    neurons_removed = 1 : i64, current_error = {{[^}]*}}}]} {
// CHECK-NEXT:    %w = snn.linear %x {weight = dense<{{\[\[}}1.000000e+00, 1.000000e+00], [2.000000e+00, 2.000000e+00]]> : tensor<2x2xf32>, unpruned_weights = 6 : i64}
// CHECK-NEXT:    %h = snn.lif %w {{.*}} : tensor<2xf32> -> tensor<2xf32>
// CHECK-NEXT:    %y = snn.affine %h {weight = dense<{{\[\[}}1.49999{{[0-9]*}}, 2.000000e+00]]> : tensor<1x2xf32>, bias = dense<{{[0-9.]+}}e-07> : tensor<1xf32>, input_moment = dense<{{\[\[\[}}5.000000e-01, 2.500000e-01, 5.000000e-01], [2.500000e-01, 5.000000e-01, 5.000000e-01], [5.000000e-01, 5.000000e-01, 1.000000e+00]]]> : tensor<1x3x3xf32>, unpruned_weights = 3 : i64}
