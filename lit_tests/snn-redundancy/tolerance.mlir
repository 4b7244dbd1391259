// RUN: xdsl-opt %s -p 'snn-redundancy{tolerance=0.1}' | filecheck %s
// RUN: xdsl-opt %s -p snn-redundancy | filecheck %s --check-prefix=EXACT

// Rows 0 and 1 differ by 0.01: merged at tolerance 0.1 (an approximation, noted on the
// graph), kept apart at tolerance 0.
snn.graph @near(%x: tensor<2xf32>) -> tensor<1xf32> attributes {dt = 1.0e-03 : f64} {
  %a = snn.linear %x {weight = dense<[[1.0, 2.0], [1.01, 2.0]]> : tensor<2x2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %s = snn.lif %a {tau = dense<5.0e-3> : tensor<2xf32>, r = dense<1.0> : tensor<2xf32>, v_leak = dense<0.0> : tensor<2xf32>, v_threshold = dense<1.0> : tensor<2xf32>, v_reset = dense<0.0> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  %b = snn.linear %s {weight = dense<[[1.0, 2.0]]> : tensor<1x2xf32>} : tensor<2xf32> -> tensor<1xf32>
  snn.output %b : tensor<1xf32>
}

// CHECK:       snn.graph @near{{.*}}attributes {dt = 1.000000e-03 : f64, snn.approximations = [{pass = "snn-redundancy", tolerance = 1.000000e-01 : f64, merged = 1 : i64}]}
// CHECK-NEXT:    %a = snn.linear %x {weight = dense<{{\[\[}}1.000000e+00, 2.000000e+00]]> : tensor<1x2xf32>}
// CHECK-NEXT:    %s = snn.lif %a {{.*}} : tensor<1xf32> -> tensor<1xf32>
// CHECK-NEXT:    %b = snn.linear %s {weight = dense<3.000000e+00> : tensor<1x1xf32>}

// EXACT:       %a = snn.linear %x {{.*}} : tensor<2xf32> -> tensor<2xf32>
