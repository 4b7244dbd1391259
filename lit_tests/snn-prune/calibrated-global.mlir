// method=calibrated with scope=global: one cut over the OBS saliency w^2 / [H^-1]_jj of all
// weights of the graph reaches exactly round(0.5 * 6) = 3 zeros, spread over the two ops by
// the current error each removal adds. A second run with the same options changes nothing.
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated sparsity=0.5 scope=global damping=1.0e-6 keep_variance=false},snn-prune{method=calibrated sparsity=0.5 scope=global damping=1.0e-6 keep_variance=false}' | filecheck %s
// method=activity is activity_aware=true: the pruned weights' mean current goes to the bias.
// RUN: xdsl-opt %s -p 'snn-prune{method=activity sparsity=0.5 scope=global}' | filecheck %s --check-prefix=ACTIVITY
// Structured and global: whole neurons go until the graph's weights reach the target; the
// narrowed ops keep what they had (unpruned_weights), so a second run removes nothing more.
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated structured=true sparsity=0.3 scope=global damping=1.0e-6 keep_variance=false},snn-prune{method=calibrated structured=true sparsity=0.3 scope=global damping=1.0e-6 keep_variance=false}' | filecheck %s --check-prefix=STRUCTURED
// A sparsity outside [0, 1) is one line naming the option.
// RUN: xdsl-opt %s -p 'snn-prune{method=calibrated sparsity=1.0}' --verify-diagnostics | filecheck %s --check-prefix=RANGE

// Inputs of the first op are independent (E[x1 x2] = E[x1] E[x2]): removing its small
// weights 0.1 and 0.2 leaves only their mean current, which the refit puts in the bias
// (0.1 * 0.5 and 0.2 * 0.5). The second op's inputs are correlated: the weight 0.05 goes and
// the kept weight and bias absorb what it carried.
snn.graph @two(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %w = snn.linear %x {weight = dense<[[1.0, 0.1], [0.2, 3.0]]> : tensor<2x2xf32>, input_moment = dense<[[[0.5, 0.25, 0.5], [0.25, 0.5, 0.5], [0.5, 0.5, 1.0]]]> : tensor<1x3x3xf32>} : tensor<2xf32> -> tensor<2xf32>
  %h = snn.lif %w {tau = dense<5.0> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.linear %h {weight = dense<[[2.0, 0.05]]> : tensor<1x2xf32>, input_moment = dense<[[[0.25, 0.1, 0.25], [0.1, 0.25, 0.25], [0.25, 0.25, 1.0]]]> : tensor<1x3x3xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}

// CHECK-LABEL: snn.graph @two
// CHECK-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 3 : i64, scope = "global", target = 5.000000e-01 : f64, method = "calibrated", current_error = {{[^}]*}}}]} {
// CHECK-NEXT:    %w = snn.affine %x {weight = dense<{{\[\[}}1.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>, bias = dense<[{{0.04999|5.0+e-02}}{{[0-9]*}}, {{0.09999|1.0+e-01}}{{[0-9]*}}]> : tensor<2xf32>, input_moment
// CHECK-NEXT:    %h = snn.lif %w
// CHECK-NEXT:    %y = snn.affine %h {weight = dense<{{\[\[}}2.0{{[0-9]*}}{{(e\+00)?}}, 0.000000e+00]]> : tensor<1x2xf32>, bias = dense<{{[0-9.]+}}e-02> : tensor<1xf32>, input_moment
// CHECK-NEXT:    snn.output %y

// ACTIVITY-LABEL: snn.graph @two
// ACTIVITY-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 3 : i64, scope = "global", target = 5.000000e-01 : f64, method = "activity", unprofiled = 0 : i64}]} {
// ACTIVITY-NEXT:    %w = snn.affine %x {weight = dense<{{\[\[}}1.000000e+00, 0.000000e+00], [0.000000e+00, 3.000000e+00]]> : tensor<2x2xf32>, bias = dense<[5.000000e-02, 1.000000e-01]> : tensor<2xf32>, input_moment

// STRUCTURED-LABEL: snn.graph @two
// STRUCTURED-SAME:    snn.approximations = [{pass = "snn-prune", sparsity = 5.000000e-01 : f64, pruned = 3 : i64, scope = "global", target = 3.000000e-01 : f64, method = "calibrated", neurons_removed = 1 : i64, current_error = {{[^}]*}}}]} {
// STRUCTURED-NEXT:    %w = snn.linear %x {{.*}} : tensor<1x2xf32>, input_moment = {{.*}}, unpruned_weights = 4 : i64} : tensor<2xf32> -> tensor<1xf32>
// STRUCTURED-NEXT:    %h = snn.lif %w {{.*}} : tensor<1xf32> -> tensor<1xf32>
// STRUCTURED-NEXT:    %y = snn.affine %h {{.*}}, unpruned_weights = 2 : i64} : tensor<1xf32> -> tensor<1xf32>

// RANGE: snn-prune: sparsity must lie in [0, 1), got 1.0
