// Inconsistent options are diagnostics that name the pass and the problem.
// RUN: xdsl-opt %s -p 'snn-prune' --verify-diagnostics | filecheck %s --check-prefix=NONE
// RUN: xdsl-opt %s -p 'snn-prune{threshold=0.1 sparsity=0.5}' --verify-diagnostics | filecheck %s --check-prefix=BOTH
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=1.0}' --verify-diagnostics | filecheck %s --check-prefix=RANGE
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 scope=network}' --verify-diagnostics | filecheck %s --check-prefix=SCOPE
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 activity_aware=true}' --verify-diagnostics | filecheck %s --check-prefix=PROFILE
// A float option needs a decimal point: `1` is an integer and the pipeline parser refuses it.
// RUN: not xdsl-opt %s -p 'snn-prune{sparsity=1}' 2>&1 | filecheck %s --check-prefix=INT

// NONE:    snn-prune: give exactly one of threshold (> 0) and sparsity (in [0, 1)), got threshold=0.0 sparsity=-1.0
// BOTH:    snn-prune: give exactly one of threshold (> 0) and sparsity (in [0, 1)), got threshold=0.1 sparsity=0.5
// RANGE:   snn-prune: sparsity must lie in [0, 1), got 1.0
// SCOPE:   snn-prune: scope must be 'layer' or 'global', got 'network'
// PROFILE: snn-prune: activity_aware needs profiled firing_rates, but no synapse op of @unprofiled reads a profiled spiking neuron op (profile the graph first)
// INT:     Incompatible types: given (1,), expected <class 'float'>

snn.graph @unprofiled(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %s = snn.if %x {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.linear %s {weight = dense<[[0.5, -1.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}
