// RUN: xdsl-opt %s -p convert-snn-to-linalg --split-input-file | filecheck %s

// Dense layers: a matmul of the batch of row vectors with the transposed weight into a
// zero-filled accumulator, then the bias; an operand of rank > 1 is collapsed first.

snn.graph @dense(%x: tensor<2x3xf32>) -> tensor<2xf32> attributes {dt = 1.000000e-03 : f64} {
  %y = snn.linear %x {weight = dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]]> : tensor<2x6xf32>} : tensor<2x3xf32> -> tensor<2xf32>
  %z = snn.affine %y {weight = dense<[[1.0, -1.0], [2.0, 0.0]]> : tensor<2x2xf32>, bias = dense<[0.25, -0.25]> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %z : tensor<2xf32>
}

// CHECK-LABEL: func.func @dense_step(
// CHECK-SAME:      %[[X:.*]]: tensor<1x2x3xf32>) -> tensor<1x2xf32> {
// CHECK-NEXT:    %[[FLAT:.*]] = tensor.collapse_shape %[[X]] {{\[}}[0 : i64], [1 : i64, 2 : i64]] : tensor<1x2x3xf32> into tensor<1x6xf32>
// CHECK-NEXT:    %[[WT:.*]] = arith.constant dense<{{\[}}[1.000000e+00, 5.000000e-01], [2.000000e+00, 5.000000e-01], [3.000000e+00, 5.000000e-01], [4.000000e+00, 5.000000e-01], [5.000000e+00, 5.000000e-01], [6.000000e+00, 5.000000e-01]]> : tensor<6x2xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK-NEXT:    %[[Y:.*]] = linalg.matmul ins(%[[FLAT]], %[[WT]] : tensor<1x6xf32>, tensor<6x2xf32>) outs(%[[ACC]] : tensor<1x2xf32>) -> tensor<1x2xf32>
// CHECK:         %[[Z:.*]] = linalg.matmul ins(%[[Y]], %{{.*}} : tensor<1x2xf32>, tensor<2x2xf32>)
// CHECK-NEXT:    %[[BIAS:.*]] = arith.constant dense<[2.500000e-01, -2.500000e-01]> : tensor<2xf32>
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%[[Z]], %[[BIAS]] : tensor<1x2xf32>, tensor<2xf32>)
// CHECK-NEXT:    ^{{.*}}(%[[ZE:.*]]: f32, %[[BE:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT:      %{{.*}} = arith.addf %[[ZE]], %[[BE]] : f32

// -----

// conv2d: zero padding with tensor.pad, then the named convolution with stride and dilation;
// the bias is added per channel.

snn.graph @conv(%x: tensor<1x5x5xf32>) -> tensor<2x3x3xf32> attributes {dt = 1.000000e-03 : f64} {
  %y = snn.conv2d %x {weight = dense<1.0> : tensor<2x1x3x3xf32>, bias = dense<[0.5, 1.5]> : tensor<2xf32>, stride = array<i64: 2, 2>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>, groups = 1 : i64} : tensor<1x5x5xf32> -> tensor<2x3x3xf32>
  snn.output %y : tensor<2x3x3xf32>
}

// CHECK-LABEL: func.func @conv_step(
// CHECK-SAME:      %[[X:.*]]: tensor<1x1x5x5xf32>) -> tensor<1x2x3x3xf32> {
// CHECK-NEXT:    %[[P:.*]] = tensor.pad %[[X]] low[0, 0, 1, 1] high[0, 0, 1, 1] {
// CHECK:         } : tensor<1x1x5x5xf32> to tensor<1x1x7x7xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK-NEXT:    %[[W:.*]] = arith.constant dense<1.000000e+00> : tensor<2x1x3x3xf32>
// CHECK-NEXT:    %[[Y:.*]] = linalg.conv_2d_nchw_fchw {strides = dense<2> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%[[P]], %[[W]] : tensor<1x1x7x7xf32>, tensor<2x1x3x3xf32>) outs(%[[ACC]] : tensor<1x2x3x3xf32>) -> tensor<1x2x3x3xf32>
// CHECK:         linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>, affine_map<(d0, d1, d2, d3) -> (d1)>, affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>]

// -----

// Grouped convolution: the channels split into groups around the grouped named op.

snn.graph @grouped(%x: tensor<4x3x3xf32>) -> tensor<2x2x2xf32> attributes {dt = 1.000000e-03 : f64} {
  %y = snn.conv2d %x {weight = dense<1.0> : tensor<2x2x2x2xf32>, bias = dense<0.0> : tensor<2xf32>, stride = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 2 : i64} : tensor<4x3x3xf32> -> tensor<2x2x2xf32>
  snn.output %y : tensor<2x2x2xf32>
}

// CHECK-LABEL: func.func @grouped_step(
// CHECK-SAME:      %[[X:.*]]: tensor<1x4x3x3xf32>) -> tensor<1x2x2x2xf32> {
// CHECK-NEXT:    %[[XG:.*]] = tensor.expand_shape %[[X]] {{\[}}[0 : i64], [1 : i64, 2 : i64], [3 : i64], [4 : i64]] output_shape [1, 2, 2, 3, 3] : tensor<1x4x3x3xf32> into tensor<1x2x2x3x3xf32>
// CHECK:         %[[YG:.*]] = linalg.conv_2d_ngchw_gfchw {strides = dense<1> : tensor<2xi64>, dilations = dense<1> : tensor<2xi64>} ins(%[[XG]], %{{.*}} : tensor<1x2x2x3x3xf32>, tensor<2x1x2x2x2xf32>) outs(%{{.*}} : tensor<1x2x1x2x2xf32>) -> tensor<1x2x1x2x2xf32>
// CHECK-NEXT:    %{{.*}} = tensor.collapse_shape %[[YG]] {{\[}}[0 : i64], [1 : i64, 2 : i64], [3 : i64], [4 : i64]] : tensor<1x2x1x2x2xf32> into tensor<1x2x2x2xf32>

// -----

// conv1d is a conv2d over a unit height.

snn.graph @conv1d(%x: tensor<2x6xf32>) -> tensor<1x4xf32> attributes {dt = 1.000000e-03 : f64} {
  %y = snn.conv1d %x {weight = dense<1.0> : tensor<1x2x2xf32>, bias = dense<0.0> : tensor<1xf32>, stride = array<i64: 1>, padding = array<i64: 0>, dilation = array<i64: 2>, groups = 1 : i64} : tensor<2x6xf32> -> tensor<1x4xf32>
  snn.output %y : tensor<1x4xf32>
}

// CHECK-LABEL: func.func @conv1d_step(
// CHECK-SAME:      %[[X:.*]]: tensor<1x2x6xf32>) -> tensor<1x1x4xf32> {
// CHECK-NEXT:    %[[X2:.*]] = tensor.expand_shape %[[X]] {{\[}}[0 : i64], [1 : i64], [2 : i64, 3 : i64]] output_shape [1, 2, 1, 6] : tensor<1x2x6xf32> into tensor<1x2x1x6xf32>
// CHECK:         %[[Y2:.*]] = linalg.conv_2d_nchw_fchw {strides = dense<1> : tensor<2xi64>, dilations = dense<[1, 2]> : tensor<2xi64>} ins(%[[X2]], %{{.*}} : tensor<1x2x1x6xf32>, tensor<1x2x1x2xf32>) outs(%{{.*}} : tensor<1x1x1x4xf32>) -> tensor<1x1x1x4xf32>
// CHECK-NEXT:    %{{.*}} = tensor.collapse_shape %[[Y2]] {{\[}}[0 : i64], [1 : i64], [2 : i64, 3 : i64]] : tensor<1x1x1x4xf32> into tensor<1x1x4xf32>

// -----

// Pooling: a window sum over a placeholder window tensor (xDSL has no
// linalg.pooling_nchw_sum); the average divides by the window area. Flatten collapses.

snn.graph @pool(%x: tensor<2x4x4xf32>) -> tensor<18xf32> attributes {dt = 1.000000e-03 : f64} {
  %s = snn.sum_pool2d %x {kernel_size = array<i64: 2, 2>, stride = array<i64: 2, 2>, padding = array<i64: 0, 0>} : tensor<2x4x4xf32> -> tensor<2x2x2xf32>
  %a = snn.avg_pool2d %s {kernel_size = array<i64: 2, 2>, stride = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<2x2x2xf32> -> tensor<2x3x3xf32>
  %f = snn.flatten %a {start_dim = 0 : i64, end_dim = -1 : i64} : tensor<2x3x3xf32> -> tensor<18xf32>
  snn.output %f : tensor<18xf32>
}

// CHECK-LABEL: func.func @pool_step(
// CHECK-SAME:      %[[X:.*]]: tensor<1x2x4x4xf32>) -> tensor<1x18xf32> {
// CHECK-NEXT:    %[[WIN:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK:         %[[ACC:.*]] = linalg.fill
// CHECK-NEXT:    %[[S:.*]] = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, ((d2 * 2) + d4), ((d3 * 2) + d5))>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d4, d5)>, affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2, d3)>], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction"]} ins(%[[X]], %[[WIN]] : tensor<1x2x4x4xf32>, tensor<2x2xf32>) outs(%[[ACC]] : tensor<1x2x2x2xf32>) {
// CHECK-NEXT:    ^{{.*}}(%[[XE:.*]]: f32, %{{.*}}: f32, %[[AE:.*]]: f32):
// CHECK-NEXT:      %[[SUM:.*]] = arith.addf %[[AE]], %[[XE]] : f32
// CHECK-NEXT:      linalg.yield %[[SUM]] : f32
// CHECK-NEXT:    } -> tensor<1x2x2x2xf32>
// CHECK-NEXT:    %[[P:.*]] = tensor.pad %[[S]] low[0, 0, 1, 1] high[0, 0, 1, 1] {
// CHECK:         %[[A:.*]] = linalg.generic {{.*}} ins(%[[P]], %{{.*}} : tensor<1x2x4x4xf32>, tensor<2x2xf32>)
// CHECK:         } -> tensor<1x2x3x3xf32>
// CHECK-NEXT:    %{{.*}} = tensor.empty() : tensor<1x2x3x3xf32>
// CHECK-NEXT:    %{{.*}} = linalg.generic {{.*}} ins(%[[A]] : tensor<1x2x3x3xf32>)
// CHECK-NEXT:    ^{{.*}}(%[[VE:[^:]*]]: f32, %{{[^:]*}}: f32):
// CHECK-NEXT:      %[[AREA:.*]] = arith.constant 4.000000e+00 : f32
// CHECK-NEXT:      %{{.*}} = arith.divf %[[VE]], %[[AREA]] : f32
// CHECK:         %[[F:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0 : i64], [1 : i64, 2 : i64, 3 : i64]] : tensor<1x2x3x3xf32> into tensor<1x18xf32>
// CHECK-NEXT:    func.return %[[F]] : tensor<1x18xf32>
