package refiner.engine.schedule;

import java.util.Arrays;

/**
 * The steps an img2img run takes out of an {@link EulerSchedule}: step i of the run is step index
 * {@code beginIndex + i} of the schedule and has timestep {@code timesteps[i]}.
 *
 * @param beginIndex index in the schedule of the first step run
 * @param timesteps the timesteps run, in order
 */
public record StepRange(int beginIndex, float[] timesteps) {
    public StepRange {
        timesteps = timesteps.clone();
    }

    /** A copy of the timesteps run. */
    @Override
    public float[] timesteps() {
        return timesteps.clone();
    }

    /** Number of steps run. */
    public int size() {
        return timesteps.length;
    }

    /** Schedule step index of the run's step {@code i}. */
    public int stepIndex(int i) {
        return beginIndex + i;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StepRange r && r.beginIndex == beginIndex && Arrays.equals(r.timesteps, timesteps);
    }

    @Override
    public int hashCode() {
        return 31 * beginIndex + Arrays.hashCode(timesteps);
    }

    @Override
    public String toString() {
        return "StepRange[beginIndex=" + beginIndex + ", timesteps=" + Arrays.toString(timesteps) + "]";
    }
}
