// Inconsistent options are diagnostics that name the pass and the problem.
// RUN: xdsl-opt %s -p 'snn-prune' --verify-diagnostics | filecheck %s --check-prefix=NONE
// RUN: xdsl-opt %s -p 'snn-prune{threshold=0.1 sparsity=0.5}' --verify-diagnostics | filecheck %s --check-prefix=BOTH
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=1.0}' --verify-diagnostics | filecheck %s --check-prefix=RANGE
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 scope=network}' --verify-diagnostics | filecheck %s --check-prefix=SCOPE
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 activity_aware=true}' --verify-diagnostics | filecheck %s --check-prefix=PROFILE
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 method=obs}' --verify-diagnostics | filecheck %s --check-prefix=METHOD
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 method=calibrated}' --verify-diagnostics | filecheck %s --check-prefix=CALIBRATE
// RUN: xdsl-opt %s -p 'snn-prune{threshold=0.5 method=calibrated}' --verify-diagnostics | filecheck %s --check-prefix=CAL-THRESHOLD
// RUN: xdsl-opt %s -p 'snn-prune{sparsity=0.5 method=calibrated damping=0.0}' --verify-diagnostics | filecheck %s --check-prefix=DAMPING
// RUN: xdsl-opt %s -p 'snn-prune{n_m="1:4"}' --verify-diagnostics | filecheck %s --check-prefix=NM-DIVIDE
// RUN: xdsl-opt %s -p 'snn-prune{n_m="3:2" method=calibrated}' --verify-diagnostics | filecheck %s --check-prefix=NM-FORM
// RUN: xdsl-opt %s -p 'snn-prune{n_m="1:2" sparsity=0.5}' --verify-diagnostics | filecheck %s --check-prefix=NM-BOTH
// RUN: xdsl-opt %s -p 'snn-prune{n_m="1:2" structured=true}' --verify-diagnostics | filecheck %s --check-prefix=NM-STRUCTURED
// A float option needs a decimal point: `1` is an integer and the pipeline parser refuses it.
// RUN: not xdsl-opt %s -p 'snn-prune{sparsity=1}' 2>&1 | filecheck %s --check-prefix=INT

// NONE:    snn-prune: give exactly one of threshold (> 0), sparsity (in [0, 1)) and n_m (e.g. -p 'snn-prune{sparsity=0.5}'), got none
// BOTH:    snn-prune: give exactly one of threshold (> 0), sparsity (in [0, 1)) and n_m (e.g. -p 'snn-prune{sparsity=0.5}'), got threshold=0.1 and sparsity=0.5
// RANGE:   snn-prune: sparsity must lie in [0, 1), got 1.0
// SCOPE:   snn-prune: scope must be 'layer' or 'global', got 'network'
// PROFILE: snn-prune: activity_aware needs profiled firing_rates, but no synapse op of @unprofiled reads a profiled spiking neuron op or graph input (profile the graph first)
// METHOD:  snn-prune: method must be one of magnitude, activity, calibrated, got 'obs'
// CALIBRATE: snn-prune{method=calibrated}: snn.linear %y has no calibration statistics (input_moment); run `snn-opt profile net --input cal.npz -o net.mlir` (or snn_dialect.profile) first
// CAL-THRESHOLD: snn-prune{method=calibrated}: needs sparsity or n_m, not threshold
// DAMPING: snn-prune{method=calibrated}: damping must be > 0, got 0.0
// NM-DIVIDE: snn-prune: n_m=1:4 needs M to divide the fan-in, but snn.linear %y has fan-in 2
// NM-FORM: snn-prune{method=calibrated}: n_m must be 'N:M' with integers 1 <= N < M (at most N nonzero weights in every M consecutive inputs), got '3:2'
// NM-BOTH: snn-prune: give exactly one of threshold (> 0), sparsity (in [0, 1)) and n_m (e.g. -p 'snn-prune{sparsity=0.5}'), got sparsity=0.5 and n_m=1:2
// NM-STRUCTURED: snn-prune: n_m and structured=true exclude each other
// INT:     {{Incompatible types: given \(1,\), expected <class 'float'>|an option value 1 is not a number with a '\.'}}

snn.graph @unprofiled(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  %s = snn.if %x {r = dense<1.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %y = snn.linear %s {weight = dense<[[0.5, -1.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %y : tensor<1xf32>
}
