// `snn-opt fit` on the real networks of tests/data: the Sinabs CNN does not fit Xylo Audio 2
// and the diagnostic says why; quantized, it fits Speck; the Braille network fits Xylo
// Audio 2 once quantized.
// RUN: not snn-opt fit %S/../../tests/data/cnn_sinabs.nir --dt 1.0 --chip xylo-audio2 | filecheck %s --check-prefix=CNN
// RUN: not snn-opt fit %S/../../tests/data/cnn_sinabs.nir --dt 1.0 --chip xylo-audio2 2>&1 >/dev/null | filecheck %s --check-prefix=CNNERR
// RUN: snn-opt optimize %S/../../tests/data/cnn_sinabs.nir --dt 1.0 -p 'snn-quantize{bits=8}' -o %t.cnn.mlir
// RUN: snn-opt fit %t.cnn.mlir --chip speck | filecheck %s --check-prefix=SPECK
// RUN: snn-opt optimize %S/../../tests/data/braille_noDelay_bias_zero.nir -p 'snn-quantize{bits=8}' -o %t.braille.mlir
// RUN: snn-opt fit %t.braille.mlir --chip xylo-audio2 --json %t.json | filecheck %s --check-prefix=BRAILLE
// RUN: filecheck %s --check-prefix=JSON < %t.json
// RUN: snn-opt fit --list | filecheck %s --check-prefix=LIST
// RUN: not snn-opt fit %t.braille.mlir --chip xylo9 2>&1 | filecheck %s --check-prefix=UNKNOWN
// The module below is only here because lit wants a test file.

// CNN:      fit of @cnn_sinabs on SynSense Xylo Audio 2 (SYNS61201) (xylo-audio2):
// CNN:        graph input channels: 2312 / 16 (14450%)  at input [2, 34, 34]  OVER
// CNN:        hidden neurons: 8960 / 1000 (896%)  OVER
// CNN:        output (readout) neurons: 10 / 8 (125%)  OVER
// CNN:      %n0 (snn.conv2d #0, 16x2x5x5): xylo-audio2 has dense input, recurrent and readout weights only, no convolutions
// CNN:      @cnn_sinabs inputs: graph input channels 2312 > 16 (exceeded by 2296 channels)
// CNN:      snn.if neurons are not supported by xylo-audio2 (it runs snn.lif, snn.cuba_lif)
// CNNERR:   snn-opt: error: {{.*}}cnn_sinabs.nir: @cnn_sinabs does not fit xylo-audio2: %n0 (snn.conv2d #0, 16x2x5x5): xylo-audio2 has dense input, recurrent and readout weights only, no convolutions (and {{[0-9]+}} more violations)

// SPECK:      fit of @cnn_sinabs on SynSense Speck / DynapCNN (speck):
// SPECK:        core {{[3-6]}}: %n10 (snn.if #3, 256) <- %n9 (snn.affine #0, 256x128)
// SPECK-NEXT:     kernel memory entries of a core: 32768 / {{32768|65536}}
// SPECK:        FITS: @cnn_sinabs fits speck

// BRAILLE:      SNN core: hidden: %lif1.lif (snn.cuba_lif #0, 38), readout: %lif2 (snn.cuba_lif #1, 7)
// BRAILLE-NEXT:   graph input channels: 12 / 16 (75%)  at input [12]
// BRAILLE-NEXT:   hidden neurons: 38 / 1000 (4%)
// BRAILLE-NEXT:   output (readout) neurons: 7 / 8 (88%)
// BRAILLE:        bits of a weight (signed): 8 / 8 (100%)
// BRAILLE:      FITS: @braille_noDelay_bias_zero fits xylo-audio2

// JSON:      "chip": "xylo-audio2",
// JSON-NEXT: "fits": true,
// JSON:      "limit": "hidden_neurons",
// JSON-NEXT: "used": 38,
// JSON-NEXT: "allowed": 1000,

// LIST: xylo-audio2  SynSense Xylo Audio 2 (SYNS61201) [xylo] input_channels=16 hidden_neurons=1000 output_neurons=8 weight_bits=8
// LIST: speck
// LIST: loihi2
// LIST: spinnaker2

// UNKNOWN: snn-opt: error: argument --chip: invalid choice: 'xylo9'

snn.graph @unused(%x: tensor<1xf32>) -> tensor<1xf32> attributes {dt = 1.0 : f64} {
  snn.output %x : tensor<1xf32>
}
