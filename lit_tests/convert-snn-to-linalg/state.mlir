// RUN: xdsl-opt %s -p convert-snn-to-linalg --split-input-file | filecheck %s

// A recurrent edge is one state tensor: the step reads last step's value from its argument
// and returns this step's value of the recurrent op's operand (defined later in the body).

snn.graph @loop(%x: tensor<2xf32>) -> tensor<2xf32> attributes {dt = 1.000000e-03 : f64} {
  %r = snn.recurrent %s : tensor<2xf32> -> tensor<2xf32>
  %sum = snn.add %x, %r : tensor<2xf32>
  %s = snn.threshold %sum {threshold = dense<0.5> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK-LABEL: func.func @loop_step(
// CHECK-SAME:      %[[X:.*]]: tensor<1x2xf32>, %[[PREV:.*]]: tensor<1x2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>) {
// CHECK:         %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[PREV]] : tensor<1x2xf32>, tensor<1x2xf32>)
// CHECK:         %[[S:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x2xf32>)
// CHECK-NEXT:    ^{{.*}}(%[[E:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT:      %[[TH:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-NEXT:      %[[GT:.*]] = arith.cmpf ogt, %[[E]], %[[TH]] : f32
// CHECK-NEXT:      %[[F:.*]] = arith.uitofp %[[GT]] : i1 to f32
// CHECK-NEXT:      linalg.yield %[[F]] : f32
// CHECK:         func.return %[[S]], %[[S]] : tensor<1x2xf32>, tensor<1x2xf32>

// -----

// A delay keeps a shift register [D, B, ...] with D its longest delay in steps
// (rint(delay / dt): 2.5 steps round to 2, 3.4 to 3). Slot k of [x, register...] holds the
// input of k steps ago; each element reads the slot of its own delay; the new register is
// the first D slots.

snn.graph @delay(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dt = 1.000000e-03 : f64} {
  %y = snn.delay %x {delay = dense<[0.0, 1.0e-03, 2.5e-03, 3.4e-03]> : tensor<4xf32>} : tensor<4xf32> -> tensor<4xf32>
  snn.output %y : tensor<4xf32>
}

// CHECK-LABEL: func.func @delay_step(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4xf32>, %[[REG:.*]]: tensor<3x1x4xf32>) -> (tensor<1x4xf32>, tensor<3x1x4xf32>) {
// CHECK-NEXT:    %[[E:.*]] = tensor.empty() : tensor<4x1x4xf32>
// CHECK-NEXT:    %[[F0:.*]] = tensor.insert_slice %[[X]] into %[[E]][0, 0, 0] [1, 1, 4] [1, 1, 1] : tensor<1x4xf32> into tensor<4x1x4xf32>
// CHECK-NEXT:    %[[F:.*]] = tensor.insert_slice %[[REG]] into %[[F0]][1, 0, 0] [3, 1, 4] [1, 1, 1] : tensor<3x1x4xf32> into tensor<4x1x4xf32>
// CHECK-NEXT:    %[[NEXT:.*]] = tensor.extract_slice %[[F]][0, 0, 0] [3, 1, 4] [1, 1, 1] : tensor<4x1x4xf32> to tensor<3x1x4xf32>
// CHECK-NEXT:    %[[STEPS:.*]] = arith.constant dense<[0, 1, 2, 3]> : tensor<4xi64>
// CHECK:         %[[Y:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0, d1)>, affine_map<(d0, d1, d2) -> (d1)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[F]], %[[STEPS]] : tensor<4x1x4xf32>, tensor<4xi64>)
// CHECK-NEXT:    ^{{.*}}(%[[V:[^:]*]]: f32, %[[D:[^:]*]]: i64, %[[ACC:[^:]*]]: f32):
// CHECK-NEXT:      %[[K:.*]] = linalg.index 2 : index
// CHECK-NEXT:      %[[K64:.*]] = arith.index_cast %[[K]] : index to i64
// CHECK-NEXT:      %[[HERE:.*]] = arith.cmpi eq, %[[K64]], %[[D]] : i64
// CHECK-NEXT:      %[[PICK:.*]] = arith.select %[[HERE]], %[[V]], %[[ACC]] : f32
// CHECK-NEXT:      linalg.yield %[[PICK]] : f32
// CHECK:         func.return %[[Y]], %[[NEXT]] : tensor<1x4xf32>, tensor<3x1x4xf32>
// CHECK-LABEL: func.func @delay_init() -> tensor<3x1x4xf32>

// -----

// A layer left without neurons computes nothing; the next layer sees only its bias.

snn.graph @empty(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.000000e-03 : f64} {
  %y = snn.linear %x {weight = dense<> : tensor<0x2xf32>} : tensor<2xf32> -> tensor<0xf32>
  %s = snn.threshold %y {threshold = dense<> : tensor<0xf32>} : tensor<0xf32> -> tensor<0xf32>
  %z = snn.affine %s {weight = dense<> : tensor<1x0xf32>, bias = dense<[0.5]> : tensor<1xf32>} : tensor<0xf32> -> tensor<1xf32>
  snn.output %z : tensor<1xf32>
}

// CHECK-LABEL: func.func @empty_step(
// CHECK-SAME:      %{{.*}}: tensor<1x2xf32>) -> tensor<1x1xf32> {
// CHECK-NEXT:    %{{.*}} = tensor.empty() : tensor<1x0xf32>
// CHECK-NEXT:    %{{.*}} = tensor.empty() : tensor<1x0xf32>
// CHECK-NEXT:    %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-NEXT:    %[[E:.*]] = tensor.empty() : tensor<1x1xf32>
// CHECK-NEXT:    %[[Z:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[E]] : tensor<1x1xf32>) -> tensor<1x1xf32>
// CHECK-NOT:     linalg.matmul
// CHECK:         arith.constant 5.000000e-01 : f32
