// method=calibrated reads each synapse op's profiled input moment E[[x; 1][x; 1]^T] (here
// written by hand) and refits the surviving weights and the bias to keep the current.
// Running the pass twice changes nothing the second time (one note only).
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated sparsity=0.34 damping=1.0e-6 keep_variance=false},snn-prune{method=calibrated sparsity=0.34 damping=1.0e-6 keep_variance=false}' | filecheck %s

// Inputs 0 and 1 always spike together (rate 0.5), input 2 is independent. One weight of
// three goes: removing either twin costs nothing once the other takes its weight, so the
// weight 1.0 of input 0 moves onto input 1 (0.5 + 1.0 = 1.5, up to the damping). The bias
// column is refit too, which makes the linear op affine (a bias of the damping's size).
snn.graph @twins(%x: tensor<3xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %y = snn.linear %x {weight = dense<[[1.0, 0.5, 2.0]]> : tensor<1x3xf32>, input_moment = dense<[[[0.5, 0.5, 0.25, 0.5], [0.5, 0.5, 0.25, 0.5], [0.25, 0.25, 0.5, 0.5], [0.5, 0.5, 0.5, 1.0]]]> : tensor<1x4x4xf32>} : tensor<3xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @twins
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 0.33333333333333337 : f64, pruned = 1 : i64, scope = "layer", target = 3.400000e-01 : f64, method = "calibrated", current_error = {{[0-9.]+}}e-07 : f64, max_layer_current_error = {{[0-9.]+}}e-07 : f64}]} {
// CHECK-NEXT:    %y = snn.affine %x {weight = dense<{{\[\[}}0.000000e+00, 1.49999{{[0-9]*}}, 2.000000e+00]]> : tensor<1x3xf32>, bias = dense<{{[0-9.]+}}e-07> : tensor<1xf32>, input_moment = dense<{{.*}}> : tensor<1x4x4xf32>}
// CHECK-NEXT:    snn.output %y
