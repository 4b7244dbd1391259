// RUN: xdsl-opt %s -p convert-snn-to-linalg --split-input-file | filecheck %s
// RUN: xdsl-opt %s -p 'convert-snn-to-linalg{batch=4}' --split-input-file | filecheck %s --check-prefix=BATCH

// One LIF population: the step takes the input and the membrane and returns the spikes and
// the new membrane; the per-neuron threshold is a tensor operand, the uniform parameters
// are scalar constants, dt/tau = 1e-4/2e-3 is folded in float32.

snn.graph @lif(%x: tensor<3xf32>) -> tensor<3xf32> attributes {dt = 1.000000e-04 : f64} {
  %s = snn.lif %x {tau = dense<2.0e-03> : tensor<3xf32>, r = dense<1.0> : tensor<3xf32>, v_leak = dense<0.0> : tensor<3xf32>, v_threshold = dense<[0.1, 0.2, 0.3]> : tensor<3xf32>, v_reset = dense<0.0> : tensor<3xf32>} : tensor<3xf32> -> tensor<3xf32>
  snn.output %s : tensor<3xf32>
}

// CHECK-LABEL: func.func @lif_step(
// CHECK-SAME:      %[[X:.*]]: tensor<1x3xf32>, %[[V:.*]]: tensor<1x3xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>) {
// CHECK:         %[[THRESHOLD:.*]] = arith.constant dense<[1.000000e-01, 2.000000e-01, 3.000000e-01]> : tensor<3xf32>
// CHECK:         %[[SPIKES:.*]], %[[MEMBRANE:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME:      ins(%[[X]], %[[V]], %[[THRESHOLD]] : tensor<1x3xf32>, tensor<1x3xf32>, tensor<3xf32>)
// CHECK-NEXT:    ^{{.*}}(%[[I:.*]]: f32, %[[VE:.*]]: f32, %[[TH:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:      %[[LEAK:.*]] = arith.subf %[[ZERO]], %[[VE]] : f32
// CHECK-NEXT:      %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK-NEXT:      %[[RI:.*]] = arith.mulf %[[ONE]], %[[I]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[LEAK]], %[[RI]] : f32
// CHECK-NEXT:      %[[A:.*]] = arith.constant 0.049999997 : f32
// CHECK-NEXT:      %[[STEP:.*]] = arith.mulf %[[A]], %[[SUM]] : f32
// CHECK-NEXT:      %[[NEW:.*]] = arith.addf %[[VE]], %[[STEP]] : f32
// CHECK-NEXT:      %[[FIRED:.*]] = arith.cmpf ogt, %[[NEW]], %[[TH]] : f32
// CHECK-NEXT:      %[[SPIKE:.*]] = arith.uitofp %[[FIRED]] : i1 to f32
// CHECK-NEXT:      %[[RESET:.*]] = arith.select %[[FIRED]], %[[ZERO]], %[[NEW]] : f32
// CHECK-NEXT:      linalg.yield %[[SPIKE]], %[[RESET]] : f32, f32
// CHECK-NEXT:    } -> (tensor<1x3xf32>, tensor<1x3xf32>)
// CHECK-NEXT:    func.return %[[SPIKES]], %[[MEMBRANE]] : tensor<1x3xf32>, tensor<1x3xf32>

// CHECK-LABEL: func.func @lif_init() -> tensor<1x3xf32> {
// CHECK:         %[[Z:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x3xf32>) -> tensor<1x3xf32>
// CHECK-NEXT:    func.return %[[Z]] : tensor<1x3xf32>

// CHECK-LABEL: func.func @lif(
// CHECK-SAME:      %[[XS:.*]]: tensor<?x1x3xf32>) -> tensor<?x1x3xf32> {
// CHECK:         %[[T:.*]] = tensor.dim %[[XS]], %{{.*}} : tensor<?x1x3xf32>
// CHECK-NEXT:    %[[YS:.*]] = tensor.empty(%[[T]]) : tensor<?x1x3xf32>
// CHECK-NEXT:    %[[S0:.*]] = func.call @lif_init() : () -> tensor<1x3xf32>
// CHECK-NEXT:    %[[R:.*]], %{{.*}} = scf.for %[[IT:.*]] = %{{.*}} to %[[T]] step %{{.*}} iter_args(%[[ACC:.*]] = %[[YS]], %[[S:.*]] = %[[S0]]) -> (tensor<?x1x3xf32>, tensor<1x3xf32>) {
// CHECK-NEXT:      %[[XT:.*]] = tensor.extract_slice %[[XS]][%[[IT]], 0, 0] [1, 1, 3] [1, 1, 1] : tensor<?x1x3xf32> to tensor<1x3xf32>
// CHECK-NEXT:      %[[Y:.*]], %[[NEXT:.*]] = func.call @lif_step(%[[XT]], %[[S]]) : (tensor<1x3xf32>, tensor<1x3xf32>) -> (tensor<1x3xf32>, tensor<1x3xf32>)
// CHECK-NEXT:      %[[W:.*]] = tensor.insert_slice %[[Y]] into %[[ACC]][%[[IT]], 0, 0] [1, 1, 3] [1, 1, 1] : tensor<1x3xf32> into tensor<?x1x3xf32>
// CHECK-NEXT:      scf.yield %[[W]], %[[NEXT]] : tensor<?x1x3xf32>, tensor<1x3xf32>
// CHECK-NEXT:    }
// CHECK-NEXT:    func.return %[[R]] : tensor<?x1x3xf32>

// BATCH-LABEL: func.func @lif_step(%{{.*}}: tensor<4x3xf32>, %{{.*}}: tensor<4x3xf32>) -> (tensor<4x3xf32>, tensor<4x3xf32>)
// BATCH-LABEL: func.func @lif(%{{.*}}: tensor<?x4x3xf32>) -> tensor<?x4x3xf32>

// -----

// Current-based neurons keep two state tensors, the synaptic current first; the LI
// variant outputs its membrane. IF and the integrator fold dt*r.

snn.graph @cuba(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) attributes {dt = 1.000000e-03 : f64} {
  %s = snn.cuba_lif %x {tau_syn = dense<5.0e-03> : tensor<2xf32>, tau_mem = dense<1.0e-02> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>, w_in = dense<2.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %v = snn.integrator %s {r = dense<4.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s, %v : tensor<2xf32>, tensor<2xf32>
}

// CHECK-LABEL: func.func @cuba_step(
// CHECK-SAME:      %{{.*}}: tensor<1x2xf32>, %[[I:.*]]: tensor<1x2xf32>, %[[V:.*]]: tensor<1x2xf32>, %[[W:.*]]: tensor<1x2xf32>)
// CHECK-SAME:      -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>)
// CHECK:         ^{{.*}}(%[[XE:.*]]: f32, %[[IE:.*]]: f32, %[[VE:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[NEG:.*]] = arith.negf %[[IE]] : f32
// CHECK-NEXT:      %[[WIN:.*]] = arith.constant 2.000000e+00 : f32
// CHECK-NEXT:      %[[WX:.*]] = arith.mulf %[[WIN]], %[[XE]] : f32
// CHECK-NEXT:      %{{.*}} = arith.addf %[[NEG]], %[[WX]] : f32
// CHECK-NEXT:      %{{.*}} = arith.constant 0.200000018 : f32
// CHECK:         linalg.yield %{{.*}}, %{{.*}}, %{{.*}} : f32, f32, f32
// CHECK:         ^{{.*}}(%[[SE:.*]]: f32, %[[WE:.*]]: f32, %{{.*}}: f32, %{{.*}}: f32):
// CHECK-NEXT:      %[[DTR:.*]] = arith.constant 4.000000e-03 : f32
// CHECK-NEXT:      %[[INC:.*]] = arith.mulf %[[DTR]], %[[SE]] : f32
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[WE]], %[[INC]] : f32
// CHECK-NEXT:      linalg.yield %[[SUM]], %[[SUM]] : f32, f32
// CHECK-LABEL: func.func @cuba_init() -> (tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>)
// CHECK-LABEL: func.func @cuba(%{{.*}}: tensor<?x1x2xf32>) -> (tensor<?x1x2xf32>, tensor<?x1x2xf32>)
