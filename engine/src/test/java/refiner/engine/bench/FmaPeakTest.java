package refiner.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The peak loop runs and gives a plausible rate; the timing summary is right. */
class FmaPeakTest {

    @Test
    void measuresAPositiveFiniteRate() {
        double g = FmaPeak.measure(1, 1500);
        assertTrue(g > 1 && g < 1e4, "GFLOP/s of one thread: " + g);
    }

    @Test
    void timingsSummarise() {
        Timings t = new Timings(new double[] {3, 1, 2, 10});
        assertEquals(2.5, t.median());
        assertEquals(1, t.min());
        assertEquals(10, t.max());
        assertEquals(2, new Timings(new double[] {2, 9, 1}).median());
    }

    @Test
    void readsPeakResidentMemory() {
        assertTrue(ProcessMemory.peakRssBytes() > 1 << 20);
    }
}
