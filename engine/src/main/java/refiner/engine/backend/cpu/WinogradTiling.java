package refiner.engine.backend.cpu;

/**
 * One Winograd algorithm F(m x m, 3 x 3): output tiles of m x m pixels from input patches of
 * n x n, n = m + 2, by the transforms Y = A^T [(G g G^T) . (B^T d B)] A, each given as a row-major
 * table (B^T n x n, G n x 3, A^T m x n). Both come from the Toom-Cook construction over n - 1
 * points and infinity (Lavin and Gray 2016): F(2x2) over 0, 1, -1, whose transforms only add,
 * subtract and halve; F(4x4) over 0, 1, -1, 1/2, -2, which in float32 sums over 512 channels
 * measured an RMS error of 3.0e-6 on outputs of unit variance (the more common 0, 1, -1, 2, -2
 * gave 4.7e-6, 0, 1, -1, 1/2, -1/2 gave 4.2e-6, F(2x2) 6.3e-7), and fewer products: 36 per 16
 * outputs against 16 per 4.
 *
 * <p>{@code minTiles} is the fewest tiles over the batch for which a tiling pays off, measured side
 * by side on two threads. F(2x2) against the direct convolution: 1536 channels over 32 tiles 0.46
 * times its speed, over 128 tiles 0.83 (3072 in: 0.67), over 512 tiles 1.89; 384 to 2304
 * channels over 512 to 2048 tiles 1.2 to 1.6. F(4x4) against F(2x2): 384 to 1152 channels over
 * 512 tiles 1.51 to 1.61, 512 channels over 256 tiles 1.42 to 1.68, 128 to 512 channels over 1024
 * to 16384 tiles 1.23 to 1.55, but 768 to 2304 channels over 128 tiles 0.73 to 0.94.
 */
record WinogradTiling(int m, int minTiles, float[] bt, float[] g, float[] at) {
    static final WinogradTiling F2 = new WinogradTiling(2, 512,
            new float[] {
                1, 0, -1, 0,
                0, 1, 1, 0,
                0, -1, 1, 0,
                0, 1, 0, -1},
            new float[] {
                1, 0, 0,
                0.5f, 0.5f, 0.5f,
                0.5f, -0.5f, 0.5f,
                0, 0, 1},
            new float[] {
                1, 1, 1, 0,
                0, 1, -1, -1});

    static final WinogradTiling F4 = new WinogradTiling(4, 256,
            new float[] {
                1, -1.5f, -2, 1.5f, 1, 0,
                0, -1, 0.5f, 2.5f, 1, 0,
                0, 1, -2.5f, 0.5f, 1, 0,
                0, -2, -1, 2, 1, 0,
                0, 0.5f, -1, -0.5f, 1, 0,
                0, 1, -1.5f, -2, 1.5f, 1},
            new float[] {
                1, 0, 0,
                1 / 3f, 1 / 3f, 1 / 3f,
                -1 / 3f, 1 / 3f, -1 / 3f,
                -16 / 15f, -8 / 15f, -4 / 15f,
                1 / 15f, -2 / 15f, 4 / 15f,
                0, 0, 1},
            new float[] {
                1, 1, 1, 1, 1, 0,
                0, 1, -1, 0.5f, -2, 0,
                0, 1, 1, 0.25f, 4, 0,
                0, 1, -1, 0.125f, -8, 1});

    /** Side of the input patch. */
    int n() {
        return m + 2;
    }

    /** Positions of a transformed tile: the products per tile and channel pair. */
    int positions() {
        return n() * n();
    }
}
