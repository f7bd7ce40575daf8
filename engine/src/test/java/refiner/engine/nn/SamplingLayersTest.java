package refiner.engine.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cpu.CpuBackend;
import refiner.engine.backend.cpu.TestWeights;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/** Downsampling with the VAE's asymmetric pad, upsampling to odd sizes, zero padding, sinusoids: against plain loops. */
class SamplingLayersTest {
    private final SplittableRandom rnd = new SplittableRandom(7);
    private final Backend cpu = new CpuBackend(1);

    private static float weight(TensorInfo t, int i) {
        return Float.float16ToFloat(t.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), i));
    }

    private MapWeights conv(int channels) {
        return new MapWeights()
                .put(TestWeights.random(rnd, "conv.weight", DType.F16, 0.5, channels, channels, 3, 3))
                .put(TestWeights.random(rnd, "conv.bias", DType.F16, 0.5, channels));
    }

    @Test
    void vaeDownsamplePadsBottomAndRightOnly() {
        int c = 2, h = 6, w = 4;
        MapWeights mw = conv(c);
        Downsample2D down = new Downsample2D(Params.of(cpu, mw), c, 0);
        float[] x = TestWeights.random(rnd, c * h * w, 1);
        float[] got;
        try (Tensor in = cpu.upload(x, 1, c, h, w); Tensor out = down.forward(in)) {
            assertArrayEquals(new int[] {1, c, h / 2, w / 2}, out.shape());
            got = cpu.download(out);
        }
        TensorInfo wt = mw.get("conv.weight"), bias = mw.get("conv.bias");
        for (int o = 0; o < c; o++) {
            for (int oy = 0; oy < h / 2; oy++) {
                for (int ox = 0; ox < w / 2; ox++) {
                    double s = weight(bias, o);
                    for (int i = 0; i < c; i++) {
                        for (int ky = 0; ky < 3; ky++) {
                            for (int kx = 0; kx < 3; kx++) {
                                int y = 2 * oy + ky, xx = 2 * ox + kx;   // pad (0, 1, 0, 1): rows and columns past the end are zero
                                if (y < h && xx < w) s += weight(wt, ((o * c + i) * 3 + ky) * 3 + kx) * x[(i * h + y) * w + xx];
                            }
                        }
                    }
                    assertEquals(s, got[(o * (h / 2) + oy) * (w / 2) + ox], 1e-5);
                }
            }
        }
    }

    @Test
    void upsampleToOddSizeIsNearestInterpolationToThatSize() {
        int c = 1, h = 3, w = 2, outH = 5, outW = 4;
        MapWeights mw = new MapWeights()
                .put(TestWeights.of("conv.weight", DType.F32, new float[] {0, 0, 0, 0, 1, 0, 0, 0, 0}, 1, 1, 3, 3))
                .put(TestWeights.of("conv.bias", DType.F32, new float[] {0}, 1));
        Upsample2D up = new Upsample2D(Params.of(cpu, mw), c);
        float[] x = {1, 2, 3, 4, 5, 6};
        try (Tensor in = cpu.upload(x, 1, c, h, w); Tensor out = up.forward(in, outH, outW)) {
            assertArrayEquals(new int[] {1, c, outH, outW}, out.shape());
            float[] got = cpu.download(out);
            for (int y = 0; y < outH; y++) {
                for (int xx = 0; xx < outW; xx++) {
                    int sy = (int) Math.floor(y * (float) h / outH), sx = (int) Math.floor(xx * (float) w / outW);
                    assertEquals(x[sy * w + sx], got[y * outW + xx], 0, "at " + y + "," + xx);
                }
            }
        }
    }

    @Test
    void pad2dAddsZeroBorders() {
        float[] x = {1, 2, 3, 4, 5, 6};
        try (Tensor in = cpu.upload(x, 1, 1, 2, 3); Tensor out = cpu.pad2d(in, 1, 0, 0, 2)) {
            assertArrayEquals(new int[] {1, 1, 3, 5}, out.shape());
            assertArrayEquals(new float[] {0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 4, 5, 6, 0, 0}, cpu.download(out));
        }
    }

    @Test
    void timestepsPutCosineFirstWhenFlipped() {
        Timesteps t = new Timesteps(4, true, 0f);
        float[] f = t.frequencies();
        assertEquals(1f, f[0]);
        assertEquals(0.01f, f[1], 1e-9);
        float[] e = t.embed(new float[] {0f, 2f});
        assertArrayEquals(new float[] {1, 1, 0, 0}, Arrays.copyOfRange(e, 0, 4));
        assertEquals((float) Math.cos(2f), e[4]);
        assertEquals((float) Math.sin(2f * f[1]), e[7]);
        float[] plain = new Timesteps(4, false, 0f).embed(new float[] {2f});
        assertEquals((float) Math.sin(2f), plain[0]);
    }
}
