package refiner.engine.backend.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import refiner.engine.backend.Activation;
import refiner.engine.backend.cpu.TestWeights;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;

class ReferenceBackendTest {
    private final ReferenceBackend be = new ReferenceBackend();

    @Test
    void erfMatchesTabulatedValues() {
        double[][] table = {
            {0, 0}, {0.1, 0.1124629160182849}, {0.5, 0.5204998778130465}, {1, 0.8427007929497149},
            {1.5, 0.9661051464753108}, {2, 0.9953222650189527}, {2.5, 0.9995930479825550},
            {3, 0.9999779095030014}, {4, 0.9999999845827421}, {5.5, 0.9999999999999927}};
        for (double[] r : table) {
            assertEquals(r[1], ReferenceBackend.erf(r[0]), 1e-15, "erf(" + r[0] + ")");
            assertEquals(-r[1], ReferenceBackend.erf(-r[0]), 1e-15, "erf(-" + r[0] + ")");
        }
    }

    @Test
    void linearWithF16AndBf16Weights() {
        Tensor x = be.upload(new float[] {1, 2}, 1, 2);
        float[] wv = {1, 0, 0, 1, 1.5f, 1};
        for (DType d : new DType[] {DType.F16, DType.BF16, DType.F32}) {
            Tensor w = be.weight(TestWeights.of("w", d, wv, 3, 2));
            Tensor b = be.weight(TestWeights.of("b", d, new float[] {0.5f, 0, -1}, 3));
            assertArrayEquals(new float[] {1.5f, 2, 2.5f}, be.download(be.linear(x, w, b)), d.toString());
            assertArrayEquals(wv, be.download(w), d.toString());
        }
    }

    @Test
    void conv2dPaddedAndStrided() {
        Tensor x = be.upload(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 1, 3, 3);
        Tensor w = be.upload(new float[] {1, 1, 1, 1, 1, 1, 1, 1, 1}, 1, 1, 3, 3);
        assertArrayEquals(new float[] {12, 21, 16, 27, 45, 33, 24, 39, 28}, be.download(be.conv2d(x, w, null, 1, 1)));
        Tensor y = be.conv2d(x, w, be.upload(new float[] {1}, 1), 2, 1);
        assertArrayEquals(new int[] {1, 1, 2, 2}, y.shape());
        assertArrayEquals(new float[] {13, 17, 25, 29}, be.download(y));
    }

    @Test
    void groupNormUsesBiasedVariance() {
        Tensor x = be.upload(new float[] {1, 2, 3, 4, 10, 10, 10, 10}, 1, 4, 2);
        Tensor g = be.upload(new float[] {1, 1, 2, 2}, 4);
        Tensor b = be.upload(new float[] {0, 0, 0, 1}, 4);
        float[] y = be.download(be.groupNorm(x, 2, g, b, 1e-5f, false));
        double s = 1 / Math.sqrt(1.25 + 1e-5);
        assertArrayEquals(new float[] {(float) (-1.5 * s), (float) (-0.5 * s), (float) (0.5 * s), (float) (1.5 * s), 0, 0, 1, 1}, y, 1e-6f);
    }

    @Test
    void layerNormOverLastDimension() {
        Tensor x = be.upload(new float[] {1, 2, 3, 4, 2, 2, 2, 2}, 2, 4);
        Tensor g = be.upload(new float[] {1, 1, 1, 1}, 4);
        Tensor b = be.upload(new float[] {0, 0, 0, 0.5f}, 4);
        double s = 1 / Math.sqrt(1.25 + 1e-5);
        float[] y = be.download(be.layerNorm(x, g, b, 1e-5f));
        assertArrayEquals(new float[] {(float) (-1.5 * s), (float) (-0.5 * s), (float) (0.5 * s), (float) (1.5 * s + 0.5), 0, 0, 0, 0.5f}, y, 1e-6f);
    }

    @Test
    void attentionAveragesAndMasks() {
        Tensor q = be.upload(new float[] {0, 0, 1, 1}, 1, 2, 2);
        Tensor k = be.upload(new float[] {1, 1, 2, 2}, 1, 2, 2);
        Tensor v = be.upload(new float[] {1, 10, 3, 20}, 1, 2, 2);
        float[] full = be.download(be.attention(q, k, v, 1, false));
        assertArrayEquals(new float[] {2, 15}, new float[] {full[0], full[1]}, 1e-6f);
        float[] causal = be.download(be.attention(q, k, v, 1, true));
        assertArrayEquals(new float[] {1, 10}, new float[] {causal[0], causal[1]}, 1e-6f);
        double p = 1 / (1 + Math.exp(-1 / Math.sqrt(2) * 2));
        assertEquals(1 + 2 * p, causal[2], 1e-6);
        float[] heads = be.download(be.attention(q, k, v, 2, true));
        assertEquals(1, heads[0], 1e-6);
        assertEquals(10, heads[1], 1e-6);
    }

    @Test
    void activationsAndGeglu() {
        Tensor x = be.upload(new float[] {-1, 0, 2}, 3);
        assertArrayEquals(new float[] {-0.15865525f, 0, 1.9544997f}, be.download(be.activation(x, Activation.GELU)), 1e-6f);
        assertArrayEquals(new float[] {(float) (-1 / (1 + Math.exp(1))), 0, (float) (2 / (1 + Math.exp(-2)))}, be.download(be.activation(x, Activation.SILU)), 1e-6f);
        assertArrayEquals(new float[] {(float) (-1 / (1 + Math.exp(1.702))), 0, (float) (2 / (1 + Math.exp(-3.404)))}, be.download(be.activation(x, Activation.QUICK_GELU)), 1e-6f);
        Tensor h = be.upload(new float[] {3, 5, -1, 2}, 1, 4);
        assertArrayEquals(new float[] {3 * -0.15865525f, 5 * 1.9544997f}, be.download(be.geglu(h)), 1e-5f);
    }

    @Test
    void layoutOps() {
        Tensor a = be.upload(new float[] {1, 2, 3, 4}, 1, 2, 1, 2);
        Tensor b = be.upload(new float[] {5, 6}, 1, 1, 1, 2);
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, be.download(be.concat(1, a, b)));
        assertArrayEquals(new float[] {1, 2, 3, 4, 5, 6}, be.download(be.concat(0, a.reshape(2, 2), b.reshape(1, 2))));
        assertArrayEquals(new float[] {2, 4}, be.download(be.slice(a, 3, 1, 2)));
        assertArrayEquals(new float[] {1, 3, 2, 4}, be.download(be.toTokens(a)));
        assertArrayEquals(new float[] {1, 3, 2, 4}, be.download(be.toImage(a.reshape(1, 2, 2), 1, 2)));
        assertArrayEquals(new float[] {1, 1, 2, 2, 1, 1, 2, 2}, be.download(be.upsampleNearest2x(be.upload(new float[] {1, 2}, 1, 1, 1, 2))));
        assertArrayEquals(new float[] {3, 4, 1, 2}, be.download(be.embedding(a.reshape(2, 2), new int[] {1, 0})));
        assertThrows(IllegalArgumentException.class, () -> be.embedding(a.reshape(2, 2), new int[] {2}));
        assertArrayEquals(new float[] {11, 12, 23, 24}, be.download(be.addChannels(a.reshape(1, 2, 2), be.upload(new float[] {10, 20}, 1, 2))));
        assertArrayEquals(new float[] {2, 4, 6, 8}, be.download(be.add(a, a)));
        assertArrayEquals(new float[] {0.5f, 1, 1.5f, 2}, be.download(be.scale(a, 0.5f)));
    }
}
