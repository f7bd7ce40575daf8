package refiner.engine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import refiner.engine.backend.cpu.TestWeights;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * Without a GPU: the kernels jar holds PTX for both targets, and the Hopper-only family for sm_90a,
 * with every entry point the backend launches, and the host-side weight conversions are exact.
 */
class KernelResourcesTest {
    private static final String[][] ENTRIES = {
        {"gemm", "linear_f16", "linear_f32"},
        {"conv", "conv2d_f16", "conv2d_f32", "conv2d_nhwc_f16", "conv2d_nhwc_f32"},
        {"norm", "group_stats_f16", "group_stats_f32", "group_apply_f16", "group_apply_f32", "layer_norm_f16", "layer_norm_f32", "layer_norm_rows_f16", "layer_norm_rows_f32"},
        {"attention", "attn_generic_f16", "attn_generic_f32"},
        {"attention_mma", "attn64_mma_f16"},
        {"activation", "act_f16", "act_f32", "geglu_f16", "geglu_f32", "add_f16", "add_f32", "add_channels_f16",
            "add_channels_f32", "scale_f16", "scale_f32"},
        {"layout", "concat_f16", "concat_f32", "slice_f16", "slice_f32", "transpose_f16", "transpose_f32",
            "upsample2x_f16", "upsample2x_f32", "embedding_f16", "embedding_f32"},
        {"convert", "f32_to_f16", "f16_to_f32"},
        {"peak", "peak_mma_f16", "copy_f32x4"}};

    @ParameterizedTest(name = "{0} PTX has every entry point")
    @ValueSource(strings = {"sm_80", "sm_90"})
    void entryPoints(String arch) throws IOException {
        for (String[] family : ENTRIES) {
            String resource = "/refiner/kernels/" + arch + "/" + family[0] + ".ptx";
            try (InputStream in = KernelResourcesTest.class.getResourceAsStream(resource)) {
                assertNotNull(in, resource + " missing");
                String ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
                assertTrue(ptx.contains(".target " + arch), resource + ": wrong target");
                assertTrue(ptx.contains(".version 9.0"), resource + ": PTX ISA is not 9.0, the driver check assumes it");
                for (int i = 1; i < family.length; i++) {
                    assertTrue(ptx.contains(".entry " + family[i] + "("), resource + ": no entry " + family[i]);
                }
            }
        }
    }

    @Test
    void hopperEntryPoints() throws IOException {
        String resource = "/refiner/kernels/sm_90a/gemm_wgmma.ptx";
        try (InputStream in = KernelResourcesTest.class.getResourceAsStream(resource)) {
            assertNotNull(in, resource + " missing");
            String ptx = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
            assertTrue(ptx.contains(".target sm_90a"), resource + ": wrong target");
            for (String entry : new String[] {"linear_wgmma", "conv2d_wgmma", "peak_wgmma_f16"}) {
                assertTrue(ptx.contains(".entry " + entry + "("), resource + ": no entry " + entry);
            }
        }
    }

    @Test
    void weightConversions() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] v = TestWeights.random(rnd, 1000, 100.0);
        for (int i = 0; i < v.length; i++) v[i] = Float.float16ToFloat(Float.floatToFloat16(v[i]));
        TensorInfo f16 = TestWeights.of("a", DType.F16, v, 10, 100);
        TensorInfo f32 = TestWeights.of("b", DType.F32, v, 1000);
        assertArrayEquals(v, HostData.floats(f16));
        assertArrayEquals(v, HostData.floats(f32));
        float[] bf = {1.0f, -2.5f, 0.15625f, 32768f};
        assertArrayEquals(bf, HostData.floats(TestWeights.of("c", DType.BF16, bf, 4)));
        short[] h = HostData.halves(v);
        for (int i = 0; i < v.length; i++) assertEquals(v[i], Float.float16ToFloat(h[i]));
        assertArrayEquals(new int[] {10, 100}, HostData.intShape(f16));
        assertTrue(HostData.verbatim(f16, DType.F16));
    }
}
