// Quantizing twice with the same options changes nothing the second time: one note, same IR.
// RUN: xdsl-opt %s -p 'snn-quantize{bits=6}' | filecheck %s
// RUN: xdsl-opt %s -p 'snn-quantize{bits=6},snn-quantize{bits=6}' | filecheck %s
// A narrower grid fits a wider one: quantizing to 8 bits after 6 keeps the 6-bit integers.
// RUN: xdsl-opt %s -p 'snn-quantize{bits=6},snn-quantize{bits=8}' | filecheck %s
// A narrower request quantizes again.
// RUN: xdsl-opt %s -p 'snn-quantize{bits=6},snn-quantize{bits=3}' | filecheck %s --check-prefix=AGAIN

snn.graph @net(%x: tensor<3xf32>) -> tensor<2xf32> attributes {dt = 1.0e-03 : f64} {
  %h = snn.affine %x {weight = dense<[[0.31, -1.2, 0.05], [0.9, 0.2, -0.77]]> : tensor<2x3xf32>, bias = dense<[0.13, -0.4]> : tensor<2xf32>} : tensor<3xf32> -> tensor<2xf32>
  %s = snn.lif %h {tau = dense<[2.0e-02, 7.0e-03]> : tensor<2xf32>, r = dense<1.3> : tensor<2xf32>, v_leak = dense<0.01> : tensor<2xf32>, v_threshold = dense<0.37> : tensor<2xf32>, v_reset = dense<-0.2> : tensor<2xf32>} : tensor<2xf32> -> tensor<2xf32>
  snn.output %s : tensor<2xf32>
}

// CHECK-LABEL: snn.graph @net
// CHECK-SAME:    snn.approximations = [{pass = "snn-quantize", bits = 6 : i64, {{[^}]*}}}]} {
// CHECK-NEXT:    %h = snn.affine %x {{.*}} weight_bits = 6 : i64}
// CHECK-NEXT:    %s = snn.lif %h

// AGAIN-LABEL: snn.graph @net
// AGAIN-SAME:    snn.approximations = [{pass = "snn-quantize", bits = 6 : i64, {{[^}]*}}}, {pass = "snn-quantize", bits = 3 : i64, {{[^}]*}}}]} {
// AGAIN-NEXT:    %h = snn.affine %x {{.*}} weight_bits = 3 : i64}
