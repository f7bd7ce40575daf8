package refiner.engine.backend.cuda;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The sm_90a kernels the products of a full-size UNet step at 1024 px run on, on a 132-SM card,
 * as measured (docs/perf.md, runs 12-20): dense layers, then the 3x3 convolutions as products of
 * pixels x output channels over 9 C.
 */
class TilingTest {
    @ParameterizedTest(name = "{0} x {1} over {2}, dense {3} -> {4}")
    @CsvSource({
        "8192, 768, 768, true, SHARED_128", "8192, 6144, 768, true, SHARED_128", "8192, 768, 3072, true, PINGPONG_128",
        "2048, 1536, 1536, true, SHARED_128", "2048, 12288, 1536, true, SHARED_128", "2048, 1536, 6144, true, SPECIALISED_256",
        "154, 768, 1280, true, SHARED_128", "154, 1280, 5120, true, PINGPONG_128", "512, 1536, 6144, true, PINGPONG_128",
        "32768, 384, 3456, false, SHARED_128", "8192, 768, 6912, false, SHARED_128", "2048, 1536, 13824, false, SPECIALISED_256",
        "512, 1536, 13824, false, SHARED_128"})
    void measuredShapes(long rows, int n, int k, boolean dense, CudaBackend.Tiling expected) {
        assertEquals(expected, CudaBackend.Tiling.auto(rows, n, k, dense, 132));
    }
}
