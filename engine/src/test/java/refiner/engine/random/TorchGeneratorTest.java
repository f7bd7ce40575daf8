package refiner.engine.random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The generator's bookkeeping: seeding, word consumption per draw, the cached normal. */
class TorchGeneratorTest {

    @Test
    void standardMersenneTwisterOutputsForSeed5489() {
        TorchGenerator g = new TorchGenerator(5489);
        assertEquals(3499211612L, g.nextWord());
        assertEquals(581869302L, g.nextWord());
        assertEquals(3890346734L, g.nextWord());
    }

    @Test
    void onlyTheLow32BitsOfTheSeedCount() {
        assertArrayEquals(new TorchGenerator(5).randn(20), new TorchGenerator((1L << 32) + 5).randn(20));
        assertArrayEquals(new TorchGenerator(0xFFFFFFFFL).rand(3), new TorchGenerator(-1).rand(3));
        assertEquals((1L << 32) + 5, new TorchGenerator((1L << 32) + 5).initialSeed());
    }

    @Test
    void singleDrawsShareOnePair() {
        TorchGenerator pairs = new TorchGenerator(3);
        float[] two = pairs.randn(2);
        TorchGenerator singles = new TorchGenerator(3);
        assertEquals(two[0], singles.randn(1)[0]);
        assertEquals(two[1], singles.randn(1)[0]);
        assertEquals(nextWordAfter(g -> g.randn(2), 3), singles.nextWord());
    }

    @Test
    void cachedNormalSurvivesLargeDrawsAndRandButNotReseeding() {
        TorchGenerator a = new TorchGenerator(9);
        float[] first = a.randn(3);
        a.randn(40);
        a.rand(5);
        TorchGenerator b = new TorchGenerator(9);
        float[] four = b.randn(4);
        assertEquals(first[2], four[2]);
        assertEquals(four[3], a.randn(1)[0]);

        TorchGenerator c = new TorchGenerator(9);
        c.randn(1);
        c.manualSeed(9);
        assertArrayEquals(new TorchGenerator(9).randn(5), c.randn(5));
    }

    @Test
    void wordsConsumedPerDraw() {
        assertWords(g -> g.randn(1), 4);
        assertWords(g -> g.randn(7), 16);
        assertWords(g -> g.randn(16), 16);
        assertWords(g -> g.randn(17), 33);
        assertWords(g -> g.randn(32), 32);
        assertWords(g -> g.randnDouble(17), 66);
        assertWords(g -> g.rand(5), 5);
        assertWords(g -> g.randDouble(5), 10);
    }

    @Test
    void lastBlockIsRedrawn() {
        float[] seventeen = new TorchGenerator(11).randn(17);
        float[] sixteen = new TorchGenerator(11).randn(16);
        assertEquals(sixteen[0], seventeen[0]);
        TorchGenerator g = new TorchGenerator(11);
        g.rand(17);
        float[] tail = g.rand(16);
        Avx2BoxMuller.transform16(tail, 0);
        float[] expectedTail = new float[16];
        System.arraycopy(seventeen, 1, expectedTail, 0, 16);
        assertArrayEquals(tail, expectedTail);
    }

    @Test
    void lnOfOneIsZeroAndPowersOfTwoAreExactMultiples() {
        assertEquals(0f, Avx2BoxMuller.ln(1f));
        assertEquals((float) Math.log(0.5), Avx2BoxMuller.ln(0.5f), 1e-7f);
        assertEquals((float) Math.log(0x1.0p-24), Avx2BoxMuller.ln(0x1.0p-24f), 2e-6f);
    }

    @Test
    void shapesMultiplyAndEmptyShapesGiveOneElement() {
        assertEquals(24, new TorchGenerator(0).randn(2, 3, 4).length);
        assertEquals(1, new TorchGenerator(0).randn().length);
        assertEquals(0, new TorchGenerator(0).randn(0, 5).length);
        assertThrows(IllegalArgumentException.class, () -> new TorchGenerator(0).randn(-1));
        assertThrows(IllegalArgumentException.class, () -> new TorchGenerator(0).rand(1 << 16, 1 << 16));
    }

    private interface Draw {
        void on(TorchGenerator g);
    }

    private static long nextWordAfter(Draw draw, long seed) {
        TorchGenerator g = new TorchGenerator(seed);
        draw.on(g);
        return g.nextWord();
    }

    private static void assertWords(Draw draw, int words) {
        TorchGenerator g = new TorchGenerator(21);
        for (int i = 0; i < words; i++) g.nextWord();
        assertEquals(g.nextWord(), nextWordAfter(draw, 21), "words consumed");
    }
}
