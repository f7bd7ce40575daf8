package refiner.engine.backend.reference;

import static refiner.engine.backend.cpu.HostTensors.get;

import java.util.Arrays;
import refiner.engine.backend.Activation;
import refiner.engine.backend.Backend;
import refiner.engine.backend.cpu.HostTensors;
import refiner.engine.tensor.Tensor;
import refiner.loader.DType;
import refiner.loader.safetensors.TensorInfo;

/**
 * The readable oracle: every op as plain loops over host memory, sums in double, no pooling and
 * no threads. The fast backends are tested against it.
 */
public final class ReferenceBackend implements Backend {

    @Override
    public String name() {
        return "reference";
    }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public Tensor allocate(int... shape) {
        for (int d : shape) if (d < 0) throw new IllegalArgumentException("allocate: negative dimension in " + Arrays.toString(shape));
        return new Tensor(this, DType.F32, shape, new float[HostTensors.prod(shape, 0, shape.length)], true);
    }

    @Override
    public Tensor upload(float[] data, int... shape) {
        if (Tensor.numel(shape) != data.length) {
            throw new IllegalArgumentException("upload: " + data.length + " values for shape " + Arrays.toString(shape));
        }
        return new Tensor(this, DType.F32, shape, data.clone(), true);
    }

    @Override
    public float[] download(Tensor t) {
        HostTensors.check(this, t, "download");
        return HostTensors.toArray(t);
    }

    @Override
    public Tensor weight(TensorInfo w) {
        return HostTensors.weight(this, w);
    }

    @Override
    public void release(Tensor t) {
    }

    @Override
    public void close() {
    }

    private float[] out(Tensor t) {
        return (float[]) t.storage();
    }

    // ---- dense layers -------------------------------------------------------------------------

    @Override
    public Tensor linear(Tensor x, Tensor w, Tensor bias) {
        int k = x.dim(-1);
        HostTensors.rank("linear", w, 2);
        if (w.dim(1) != k) throw new IllegalArgumentException("linear: x " + x + " does not match w " + w);
        int n = w.dim(0);
        if (bias != null && bias.numel() != n) throw new IllegalArgumentException("linear: bias " + bias + " for w " + w);
        int m = (int) (x.numel() / k);
        int[] shape = x.shape();
        shape[shape.length - 1] = n;
        Tensor y = allocate(shape);
        float[] yo = out(y);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = bias == null ? 0 : get(bias, j);
                for (int p = 0; p < k; p++) s += (double) get(x, (long) i * k + p) * get(w, (long) j * k + p);
                yo[i * n + j] = (float) s;
            }
        }
        return y;
    }

    @Override
    public Tensor conv2d(Tensor x, Tensor w, Tensor bias, int stride, int padding) {
        HostTensors.rank("conv2d", x, 4);
        HostTensors.rank("conv2d", w, 4);
        int b = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int o = w.dim(0), ks = w.dim(2);
        if (w.dim(1) != c || w.dim(3) != ks) throw new IllegalArgumentException("conv2d: x " + x + " does not match w " + w);
        int oh = (h + 2 * padding - ks) / stride + 1, ow = (wd + 2 * padding - ks) / stride + 1;
        Tensor y = allocate(b, o, oh, ow);
        float[] yo = out(y);
        for (int n = 0; n < b; n++) {
            for (int oc = 0; oc < o; oc++) {
                for (int oy = 0; oy < oh; oy++) {
                    for (int ox = 0; ox < ow; ox++) {
                        double s = bias == null ? 0 : get(bias, oc);
                        for (int ic = 0; ic < c; ic++) {
                            for (int ky = 0; ky < ks; ky++) {
                                int iy = oy * stride - padding + ky;
                                if (iy < 0 || iy >= h) continue;
                                for (int kx = 0; kx < ks; kx++) {
                                    int ix = ox * stride - padding + kx;
                                    if (ix < 0 || ix >= wd) continue;
                                    s += (double) get(x, (((long) n * c + ic) * h + iy) * wd + ix)
                                            * get(w, (((long) oc * c + ic) * ks + ky) * ks + kx);
                                }
                            }
                        }
                        yo[((n * o + oc) * oh + oy) * ow + ox] = (float) s;
                    }
                }
            }
        }
        return y;
    }

    // ---- normalisation ------------------------------------------------------------------------

    @Override
    public Tensor groupNorm(Tensor x, int groups, Tensor gamma, Tensor beta, float eps, boolean silu) {
        int b = x.dim(0), c = x.dim(1);
        if (c % groups != 0) throw new IllegalArgumentException("groupNorm: " + c + " channels in " + groups + " groups");
        int spatial = HostTensors.prod(x.shape(), 2, x.rank());
        int cg = c / groups;
        Tensor y = allocate(x.shape());
        float[] yo = out(y);
        for (int n = 0; n < b; n++) {
            for (int g = 0; g < groups; g++) {
                long base = ((long) n * c + (long) g * cg) * spatial;
                long count = (long) cg * spatial;
                double sum = 0;
                for (long i = 0; i < count; i++) sum += get(x, base + i);
                double mean = sum / count;
                double var = 0;
                for (long i = 0; i < count; i++) {
                    double d = get(x, base + i) - mean;
                    var += d * d;
                }
                var /= count;
                double inv = 1 / Math.sqrt(var + eps);
                for (int ch = 0; ch < cg; ch++) {
                    int channel = g * cg + ch;
                    double ga = get(gamma, channel), be = get(beta, channel);
                    for (int s = 0; s < spatial; s++) {
                        long i = base + (long) ch * spatial + s;
                        double v = (get(x, i) - mean) * inv * ga + be;
                        if (silu) v = v / (1 + Math.exp(-v));
                        yo[(int) i] = (float) v;
                    }
                }
            }
        }
        return y;
    }

    @Override
    public Tensor layerNorm(Tensor x, Tensor gamma, Tensor beta, float eps) {
        int d = x.dim(-1);
        int rows = (int) (x.numel() / d);
        Tensor y = allocate(x.shape());
        float[] yo = out(y);
        for (int r = 0; r < rows; r++) {
            long base = (long) r * d;
            double sum = 0;
            for (int i = 0; i < d; i++) sum += get(x, base + i);
            double mean = sum / d;
            double var = 0;
            for (int i = 0; i < d; i++) {
                double e = get(x, base + i) - mean;
                var += e * e;
            }
            double inv = 1 / Math.sqrt(var / d + eps);
            for (int i = 0; i < d; i++) {
                yo[(int) base + i] = (float) ((get(x, base + i) - mean) * inv * get(gamma, i) + get(beta, i));
            }
        }
        return y;
    }

    // ---- attention ----------------------------------------------------------------------------

    @Override
    public Tensor attention(Tensor q, Tensor k, Tensor v, int heads, boolean causal) {
        int b = q.dim(0), lq = q.dim(1), e = q.dim(2), lk = k.dim(1);
        if (e % heads != 0 || k.dim(2) != e || v.dim(2) != e || k.dim(0) != b || v.dim(0) != b || v.dim(1) != lk) {
            throw new IllegalArgumentException("attention: q " + q + ", k " + k + ", v " + v + ", " + heads + " heads");
        }
        int d = e / heads;
        double scale = 1 / Math.sqrt(d);
        Tensor y = allocate(b, lq, e);
        float[] yo = out(y);
        double[] scores = new double[lk];
        for (int n = 0; n < b; n++) {
            for (int h = 0; h < heads; h++) {
                for (int i = 0; i < lq; i++) {
                    int keys = causal ? Math.min(i + 1, lk) : lk;
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < keys; j++) {
                        double s = 0;
                        for (int t = 0; t < d; t++) {
                            s += (double) get(q, ((long) n * lq + i) * e + h * d + t) * get(k, ((long) n * lk + j) * e + h * d + t);
                        }
                        scores[j] = s * scale;
                        max = Math.max(max, scores[j]);
                    }
                    double total = 0;
                    for (int j = 0; j < keys; j++) {
                        scores[j] = Math.exp(scores[j] - max);
                        total += scores[j];
                    }
                    for (int t = 0; t < d; t++) {
                        double s = 0;
                        for (int j = 0; j < keys; j++) s += scores[j] * get(v, ((long) n * lk + j) * e + h * d + t);
                        yo[(n * lq + i) * e + h * d + t] = (float) (s / total);
                    }
                }
            }
        }
        return y;
    }

    // ---- pointwise ----------------------------------------------------------------------------

    @Override
    public Tensor activation(Tensor x, Activation a) {
        Tensor y = allocate(x.shape());
        float[] yo = out(y);
        for (int i = 0; i < yo.length; i++) {
            double v = get(x, i);
            yo[i] = (float) switch (a) {
                case GELU -> gelu(v);
                case QUICK_GELU -> v / (1 + Math.exp(-1.702 * v));
                case SILU -> v / (1 + Math.exp(-v));
            };
        }
        return y;
    }

    @Override
    public Tensor geglu(Tensor x) {
        int f2 = x.dim(-1);
        if (f2 % 2 != 0) throw new IllegalArgumentException("geglu: odd last dimension in " + x);
        int f = f2 / 2;
        int rows = (int) (x.numel() / f2);
        int[] shape = x.shape();
        shape[shape.length - 1] = f;
        Tensor y = allocate(shape);
        float[] yo = out(y);
        for (int r = 0; r < rows; r++) {
            for (int i = 0; i < f; i++) {
                yo[r * f + i] = (float) (get(x, (long) r * f2 + i) * gelu(get(x, (long) r * f2 + f + i)));
            }
        }
        return y;
    }

    @Override
    public Tensor add(Tensor a, Tensor b) {
        HostTensors.sameShape("add", a, b);
        Tensor y = allocate(a.shape());
        float[] yo = out(y);
        for (int i = 0; i < yo.length; i++) yo[i] = get(a, i) + get(b, i);
        return y;
    }

    @Override
    public Tensor addChannels(Tensor x, Tensor b) {
        int bs = x.dim(0), c = x.dim(1);
        if (b.numel() != (long) bs * c) throw new IllegalArgumentException("addChannels: x " + x + ", b " + b);
        int inner = HostTensors.prod(x.shape(), 2, x.rank());
        Tensor y = allocate(x.shape());
        float[] yo = out(y);
        for (int i = 0; i < yo.length; i++) yo[i] = get(x, i) + get(b, i / inner);
        return y;
    }

    @Override
    public Tensor scale(Tensor x, float s) {
        Tensor y = allocate(x.shape());
        float[] yo = out(y);
        for (int i = 0; i < yo.length; i++) yo[i] = get(x, i) * s;
        return y;
    }

    // ---- layout -------------------------------------------------------------------------------

    @Override
    public Tensor concat(int axis, Tensor a, Tensor b) {
        int[] sa = a.shape(), sb = b.shape();
        if (sa.length != sb.length) throw new IllegalArgumentException("concat: " + a + " and " + b);
        for (int i = 0; i < sa.length; i++) {
            if (i != axis && sa[i] != sb[i]) throw new IllegalArgumentException("concat on axis " + axis + ": " + a + " and " + b);
        }
        int outer = HostTensors.prod(sa, 0, axis);
        int ia = HostTensors.prod(sa, axis, sa.length), ib = HostTensors.prod(sb, axis, sb.length);
        int[] shape = sa.clone();
        shape[axis] = sa[axis] + sb[axis];
        Tensor y = allocate(shape);
        float[] yo = out(y);
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < ia; i++) yo[o * (ia + ib) + i] = get(a, (long) o * ia + i);
            for (int i = 0; i < ib; i++) yo[o * (ia + ib) + ia + i] = get(b, (long) o * ib + i);
        }
        return y;
    }

    @Override
    public Tensor slice(Tensor x, int axis, int start, int end) {
        int[] s = x.shape();
        if (start < 0 || end > s[axis] || start > end) throw new IllegalArgumentException("slice [" + start + ", " + end + ") on axis " + axis + " of " + x);
        int outer = HostTensors.prod(s, 0, axis), inner = HostTensors.prod(s, axis + 1, s.length);
        int[] shape = s.clone();
        shape[axis] = end - start;
        Tensor y = allocate(shape);
        float[] yo = out(y);
        int len = (end - start) * inner;
        for (int o = 0; o < outer; o++) {
            for (int i = 0; i < len; i++) yo[o * len + i] = get(x, ((long) o * s[axis] + start) * inner + i);
        }
        return y;
    }

    @Override
    public Tensor toTokens(Tensor x) {
        HostTensors.rank("toTokens", x, 4);
        int b = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
        Tensor y = allocate(b, hw, c);
        float[] yo = out(y);
        for (int n = 0; n < b; n++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) yo[(n * hw + p) * c + ch] = get(x, ((long) n * c + ch) * hw + p);
            }
        }
        return y;
    }

    @Override
    public Tensor toImage(Tensor x, int height, int width) {
        HostTensors.rank("toImage", x, 3);
        int b = x.dim(0), hw = x.dim(1), c = x.dim(2);
        if (hw != height * width) throw new IllegalArgumentException("toImage: " + x + " is not " + height + " x " + width + " tokens");
        Tensor y = allocate(b, c, height, width);
        float[] yo = out(y);
        for (int n = 0; n < b; n++) {
            for (int ch = 0; ch < c; ch++) {
                for (int p = 0; p < hw; p++) yo[(n * c + ch) * hw + p] = get(x, ((long) n * hw + p) * c + ch);
            }
        }
        return y;
    }

    @Override
    public Tensor upsampleNearest2x(Tensor x) {
        HostTensors.rank("upsampleNearest2x", x, 4);
        int bc = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3);
        Tensor y = allocate(x.dim(0), x.dim(1), 2 * h, 2 * w);
        float[] yo = out(y);
        for (int p = 0; p < bc; p++) {
            for (int oy = 0; oy < 2 * h; oy++) {
                for (int ox = 0; ox < 2 * w; ox++) yo[(p * 2 * h + oy) * 2 * w + ox] = get(x, ((long) p * h + oy / 2) * w + ox / 2);
            }
        }
        return y;
    }

    @Override
    public Tensor embedding(Tensor table, int[] ids) {
        HostTensors.rank("embedding", table, 2);
        int vocab = table.dim(0), d = table.dim(1);
        Tensor y = allocate(ids.length, d);
        float[] yo = out(y);
        for (int r = 0; r < ids.length; r++) {
            if (ids[r] < 0 || ids[r] >= vocab) throw new IllegalArgumentException("embedding: id " + ids[r] + " outside [0, " + vocab + ")");
            for (int i = 0; i < d; i++) yo[r * d + i] = get(table, (long) ids[r] * d + i);
        }
        return y;
    }

    // ---- erf in double ------------------------------------------------------------------------

    /** Exact GELU: x / 2 * (1 + erf(x / sqrt 2)). */
    static double gelu(double x) {
        return 0.5 * x * (1 + erf(x / Math.sqrt(2)));
    }

    /**
     * erf to about 1e-15: the Maclaurin series below |x| = 2.5, the continued fraction of erfc
     * above it.
     */
    public static double erf(double x) {
        double a = Math.abs(x);
        double r;
        if (a < 2.5) {
            double term = a, sum = a, x2 = a * a;
            for (int n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
                term *= -x2 / n;
                sum += term / (2 * n + 1);
            }
            r = 2 / Math.sqrt(Math.PI) * sum;
        } else if (a < 6) {
            double f = a;
            for (int n = 80; n >= 1; n--) f = a + (n / 2.0) / f;
            r = 1 - Math.exp(-a * a) / Math.sqrt(Math.PI) / f;
        } else {
            r = 1;
        }
        return Math.copySign(r, x);
    }
}
