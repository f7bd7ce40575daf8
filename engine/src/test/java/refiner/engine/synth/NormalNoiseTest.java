package refiner.engine.synth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

/** Moments and reproducibility of the fp16 noise. */
class NormalNoiseTest {

    private static float[] draw(long key, long first, int n, float mean, float std) {
        ByteBuffer b = ByteBuffer.allocate(2 * n).order(ByteOrder.LITTLE_ENDIAN);
        NormalNoise.fill(key, first, n, mean, std, b);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = Float.float16ToFloat(b.getShort(2 * i));
        return v;
    }

    @Test
    void hasTheRequestedMoments() {
        float[] v = draw(NormalNoise.key(5, "unet", "w"), 0, 1 << 20, 0.5f, 2f);
        double sum = 0, sq = 0, fourth = 0, max = 0;
        for (float x : v) sum += x;
        double mean = sum / v.length;
        for (float x : v) {
            double d = (x - mean) / 2;
            sq += d * d;
            fourth += d * d * d * d;
            max = Math.max(max, Math.abs(d));
        }
        double var = sq / v.length;
        assertEquals(0.5, mean, 0.01);
        assertEquals(1.0, var, 0.01);
        assertEquals(2.7, fourth / v.length / (var * var), 0.05, "kurtosis of a sum of four uniforms");
        assertTrue(max <= Math.sqrt(12) * 1.001, "bounded tails");
    }

    @Test
    void aBlockDependsOnlyOnItsKeyAndIndex() {
        long key = NormalNoise.key(1, "vae", "x");
        float[] whole = draw(key, 0, 3 * NormalNoise.BLOCK, 0, 1);
        float[] tail = draw(key, 2L * NormalNoise.BLOCK, NormalNoise.BLOCK, 0, 1);
        for (int i = 0; i < NormalNoise.BLOCK; i++) assertEquals(whole[2 * NormalNoise.BLOCK + i], tail[i]);
    }
}
