// check.cpp: every kernel of kernels/src/main/cuda run through the CPU emulation (emu.h) on
// small random inputs, odd shapes included, outputs poisoned with NaN, against plain double
// loops. Bound: relative L2 error 5e-3 for fp16 kernels, 1e-5 for fp32. Exit status 1 on any
// failure. Built and run by kernels/host-check.sh.
#include "emu.h"
#include "../../main/cuda/activation.cu"
#include "../../main/cuda/attention.cu"
#include "../../main/cuda/attention_mma.cu"
#include "../../main/cuda/conv.cu"
#include "../../main/cuda/convert.cu"
#include "../../main/cuda/gemm.cu"
#include "../../main/cuda/layout.cu"
#include "../../main/cuda/norm.cu"
#include "../../main/cuda/sm_90a/gemm_wgmma.cu"
#include <cstdio>
#include <random>
#include <string>

static std::mt19937 rng(12345);
static int failures = 0;

static std::vector<float> rnd(size_t n, float scale = 1.0f, float offset = 0.0f) {
    std::uniform_real_distribution<float> u(-scale, scale);
    std::vector<float> v(n);
    for (auto& x : v) x = u(rng) + offset;
    return v;
}

template <class T>
struct Buf {
    std::vector<T> d;
    explicit Buf(const std::vector<float>& v) { for (float x : v) d.push_back(T(x)); }
    explicit Buf(size_t n) : d(n, T(NAN)) {}
    std::vector<float> f() const { std::vector<float> o; for (auto x : d) o.push_back((float)x); return o; }
    T* p() { return d.data(); }
};

template <class T>
static std::vector<float> rounded(const std::vector<float>& v) { return Buf<T>(v).f(); }

static void report(const std::string& what, const std::vector<double>& e, const std::vector<float>& a, double tol) {
    double num = 0, den = 0;
    for (size_t i = 0; i < e.size(); i++) {
        if (!std::isfinite(a[i])) {
            std::printf("FAIL %-48s element %zu is %f (unwritten?)\n", what.c_str(), i, a[i]);
            failures++;
            return;
        }
        num += (e[i] - a[i]) * (e[i] - a[i]);
        den += e[i] * e[i];
    }
    const double rel = std::sqrt(num / std::max(den, 1e-30));
    const bool ok = rel <= tol;
    if (!ok) failures++;
    std::printf("%s %-48s rel L2 %.2e (bound %.0e)\n", ok ? "ok  " : "FAIL", what.c_str(), rel, tol);
}

template <class T> constexpr double tol() { return std::is_same_v<T, half> ? 5e-3 : 1e-5; }
template <class T> const char* sfx() { return std::is_same_v<T, half> ? "f16" : "f32"; }

template <class T>
static void linear(int M, int K, int N, bool bias) {
    auto x = rounded<T>(rnd((size_t)M * K)), w = rounded<T>(rnd((size_t)N * K, 1.0f / std::sqrt(K))), b = rounded<T>(rnd(N, 0.5f));
    std::vector<double> e((size_t)M * N);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < N; n++) {
            double s = bias ? b[n] : 0;
            for (int k = 0; k < K; k++) s += (double)x[(size_t)m * K + k] * w[(size_t)n * K + k];
            e[(size_t)m * N + n] = s;
        }
    Buf<T> bx(x), bw(w), bb(b), y((size_t)M * N);
    T* pb = bias ? bb.p() : nullptr;
    if constexpr (std::is_same_v<T, half>)
        launch({(unsigned)(N + 127) / 128, (unsigned)(M + 127) / 128}, {256}, [&] { linear_f16(bx.p(), bw.p(), pb, y.p(), M, N, K); });
    else
        launch({(unsigned)(N + 127) / 128, (unsigned)(M + 127) / 128}, {256}, [&] { linear_f32(bx.p(), bw.p(), pb, y.p(), M, N, K); });
    const std::string shape = " M" + std::to_string(M) + " K" + std::to_string(K) + " N" + std::to_string(N);
    report(std::string("linear_") + sfx<T>() + shape, e, y.f(), tol<T>());
    if constexpr (std::is_same_v<T, half>) {
        // The Hopper kernels' conditions; v4 and v5 on three blocks, so that each takes several
        // tiles. Each also with a residual: the fp16 result plus r, rounded again.
        if (K % 8 == 0 && N % 8 == 0) {
            auto r = rounded<T>(rnd((size_t)M * N));
            Buf<T> br(r);
            std::vector<double> er(e.size());
            for (size_t i = 0; i < e.size(); i++) er[i] = e[i] + r[i];
            // v4 and v5 read x and w through tensor maps: boxes of 64 columns by 128 rows of x and
            // by the tile's columns (256, 128) of w.
            using Kernel = std::function<void(const half*, half*)>;
            TensorMap mx, mw256, mw128;
            emu_tensor_map_2d(&mx, bx.p(), K, M, 64, 128);
            emu_tensor_map_2d(&mw256, bw.p(), K, N, 64, 256);
            emu_tensor_map_2d(&mw128, bw.p(), K, N, 64, 128);
            const struct { const char* name; dim3e grid; unsigned threads; Kernel kernel; } ks[] = {
                {"linear_wgmma", {(unsigned)(N + 127) / 128, (unsigned)(M + 127) / 128}, 256,
                 [&](const half* r, half* y) { linear_wgmma(bx.p(), bw.p(), pb, r, y, M, N, K); }},
                {"linear_wgmma_ws256", {3}, 384, [&](const half* r, half* y) { linear_wgmma_ws256(bx.p(), bw.p(), pb, r, y, M, N, K, mx, mw256); }},
                {"linear_wgmma_pp128", {3}, 384, [&](const half* r, half* y) { linear_wgmma_pp128(bx.p(), bw.p(), pb, r, y, M, N, K, mx, mw128); }},
            };
            for (const auto& k : ks) {
                Buf<T> y2((size_t)M * N), y3((size_t)M * N);
                launch(k.grid, {k.threads}, [&] { k.kernel(nullptr, y2.p()); });
                report(k.name + shape, e, y2.f(), tol<T>());
                launch(k.grid, {k.threads}, [&] { k.kernel(br.p(), y3.p()); });
                report(std::string(k.name) + " + residual" + shape, er, y3.f(), tol<T>());
            }
        }
    }
}

// A feed-forward projection with its GEGLU: x[M, K] w[2F, K]^T + b, y = value * gelu(gate); the
// kernel takes w and b with rows in blocks of 64 values then their 64 gates.
static void linear_geglu(int M, int K, int F) {
    auto x = rounded<half>(rnd((size_t)M * K)), w = rounded<half>(rnd((size_t)2 * F * K, 1.0f / std::sqrt(K))), b = rounded<half>(rnd(2 * F, 0.5f));
    std::vector<double> e((size_t)M * F);
    for (int m = 0; m < M; m++)
        for (int f = 0; f < F; f++) {
            double h = b[f], g = b[F + f];
            for (int k = 0; k < K; k++) {
                h += (double)x[(size_t)m * K + k] * w[(size_t)f * K + k];
                g += (double)x[(size_t)m * K + k] * w[(size_t)(F + f) * K + k];
            }
            e[(size_t)m * F + f] = h * 0.5 * g * (1.0 + std::erf(g / std::sqrt(2.0)));
        }
    std::vector<float> wp(w.size()), bp(b.size());
    for (int r = 0; r < 2 * F; r++) {  // permuted row r: block r / 128, its values then its gates
        const int blk = r / 128, i = r % 128, src = i < 64 ? blk * 64 + i : F + blk * 64 + i - 64;
        std::copy(w.begin() + (size_t)src * K, w.begin() + (size_t)(src + 1) * K, wp.begin() + (size_t)r * K);
        bp[r] = b[src];
    }
    Buf<half> bx(x), bw(wp), bb(bp), y((size_t)M * F);
    launch({(unsigned)(2 * F / 128), (unsigned)(M + 127) / 128}, {256}, [&] { linear_wgmma_geglu(bx.p(), bw.p(), bb.p(), y.p(), M, 2 * F, K); });
    report("linear_wgmma_geglu M" + std::to_string(M) + " K" + std::to_string(K) + " F" + std::to_string(F), e, y.f(), tol<half>());
}

template <class T>
static void conv(int B, int C, int H, int W, int O, int ks, int s, int p) {
    const int OH = (H + 2 * p - ks) / s + 1, OW = (W + 2 * p - ks) / s + 1;
    auto x = rounded<T>(rnd((size_t)B * C * H * W)), w = rounded<T>(rnd((size_t)O * C * ks * ks, 1.0f / std::sqrt(C * ks * ks)));
    auto b = rounded<T>(rnd(O, 0.5f));
    std::vector<double> e((size_t)B * O * OH * OW);
    for (int bi = 0; bi < B; bi++)
        for (int o = 0; o < O; o++)
            for (int oh = 0; oh < OH; oh++)
                for (int ow = 0; ow < OW; ow++) {
                    double acc = b[o];
                    for (int c = 0; c < C; c++)
                        for (int ky = 0; ky < ks; ky++)
                            for (int kx = 0; kx < ks; kx++) {
                                int ih = oh * s - p + ky, iw = ow * s - p + kx;
                                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
                                acc += (double)x[(((size_t)bi * C + c) * H + ih) * W + iw] * w[(((size_t)o * C + c) * ks + ky) * ks + kx];
                            }
                    e[(((size_t)bi * O + o) * OH + oh) * OW + ow] = acc;
                }
    Buf<T> bx(x), bw(w), bb(b), y(e.size());
    const int M = B * OH * OW;
    if constexpr (std::is_same_v<T, half>)
        launch({(unsigned)(O + 127) / 128, (unsigned)(M + 127) / 128}, {256}, [&] { conv2d_f16(bx.p(), bw.p(), bb.p(), y.p(), B, C, H, W, O, ks, s, p, OH, OW); });
    else
        launch({(unsigned)(O + 127) / 128, (unsigned)(M + 127) / 128}, {256}, [&] { conv2d_f32(bx.p(), bw.p(), bb.p(), y.p(), B, C, H, W, O, ks, s, p, OH, OW); });
    const std::string shape = " C" + std::to_string(C) + " " + std::to_string(H) + "x" + std::to_string(W) + " O" + std::to_string(O) + " k" +
                              std::to_string(ks) + " s" + std::to_string(s) + " p" + std::to_string(p);
    report(std::string("conv2d_") + sfx<T>() + shape, e, y.f(), tol<T>());
    if (C % (std::is_same_v<T, half> ? 8 : 4) == 0) {  // the channels-last kernel on transposed copies of x and w
        {
            std::vector<float> xt(x.size()), wt(w.size());
            for (int bi = 0; bi < B; bi++)
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < H * W; i++) xt[((size_t)bi * H * W + i) * C + c] = x[((size_t)bi * C + c) * H * W + i];
            for (int o = 0; o < O; o++)
                for (int c = 0; c < C; c++)
                    for (int i = 0; i < ks * ks; i++) wt[((size_t)o * ks * ks + i) * C + c] = w[((size_t)o * C + c) * ks * ks + i];
            Buf<T> bxt(xt), bwt(wt), y2(e.size());
            launch({(unsigned)(O + 127) / 128, (unsigned)(M + 127) / 128}, {256}, [&] {
                if constexpr (std::is_same_v<T, half>) conv2d_nhwc_f16(bxt.p(), bwt.p(), bb.p(), y2.p(), B, C, H, W, O, ks, s, p, OH, OW);
                else conv2d_nhwc_f32(bxt.p(), bwt.p(), bb.p(), y2.p(), B, C, H, W, O, ks, s, p, OH, OW);
            });
            report(std::string("conv2d_nhwc_") + sfx<T>() + shape, e, y2.f(), tol<T>());
            if constexpr (std::is_same_v<T, half>) {
                Buf<T> y3(e.size());
                launch({(unsigned)(O + 127) / 128, (unsigned)(M + 127) / 128}, {256},
                       [&] { conv2d_wgmma(bxt.p(), bwt.p(), bb.p(), y3.p(), B, C, H, W, O, ks, s, p, OH, OW); });
                report("conv2d_wgmma" + shape, e, y3.f(), tol<T>());
                Buf<T> y4(e.size()), y5(e.size());
                launch({3}, {384}, [&] { conv2d_wgmma_ws256(bxt.p(), bwt.p(), bb.p(), y4.p(), B, C, H, W, O, ks, s, p, OH, OW); });
                report("conv2d_wgmma_ws256" + shape, e, y4.f(), tol<T>());
                launch({3}, {384}, [&] { conv2d_wgmma_pp128(bxt.p(), bwt.p(), bb.p(), y5.p(), B, C, H, W, O, ks, s, p, OH, OW); });
                report("conv2d_wgmma_pp128" + shape, e, y5.f(), tol<T>());
            }
        }
    }
}

template <class T>
static void norms(int B, int C, int S, int G, bool silu_on) {
    auto x = rounded<T>(rnd((size_t)B * C * S, 2.0f, 3.0f)), g = rounded<T>(rnd(C, 0.5f, 1.0f)), be = rounded<T>(rnd(C, 0.5f));
    std::vector<double> e(x.size());
    const int cpg = C / G;
    for (int b = 0; b < B; b++)
        for (int gi = 0; gi < G; gi++) {
            size_t base = ((size_t)b * C + gi * cpg) * S, n = (size_t)cpg * S;
            double mean = 0, var = 0;
            for (size_t i = 0; i < n; i++) mean += x[base + i];
            mean /= n;
            for (size_t i = 0; i < n; i++) var += (x[base + i] - mean) * (x[base + i] - mean);
            var /= n;
            for (size_t i = 0; i < n; i++) {
                int c = gi * cpg + i / S;
                double v = (x[base + i] - mean) / std::sqrt(var + 1e-6) * g[c] + be[c];
                e[base + i] = silu_on ? v / (1 + std::exp(-v)) : v;
            }
        }
    Buf<T> bx(x), bg(g), bb(be), y(x.size());
    const int parts = 3;
    std::vector<float> partial((size_t)B * G * parts * 3, NAN);
    launch({(unsigned)(B * G), (unsigned)parts}, {256}, [&] {
        if constexpr (std::is_same_v<T, half>) group_stats_f16(bx.p(), partial.data(), cpg * S, parts);
        else group_stats_f32(bx.p(), partial.data(), cpg * S, parts);
    });
    launch({(unsigned)(B * G), (unsigned)parts}, {256}, [&] {
        if constexpr (std::is_same_v<T, half>) group_apply_f16(bx.p(), partial.data(), bg.p(), bb.p(), y.p(), C, S, G, parts, 1e-6f, silu_on);
        else group_apply_f32(bx.p(), partial.data(), bg.p(), bb.p(), y.p(), C, S, G, parts, 1e-6f, silu_on);
    });
    report(std::string("group_norm_") + sfx<T>() + " C" + std::to_string(C) + " S" + std::to_string(S) + " G" + std::to_string(G), e, y.f(), tol<T>());

    // LayerNorm over rows of D = S
    const int rows = B * C, D = S;
    std::vector<double> e2(x.size());
    for (int r = 0; r < rows; r++) {
        double mean = 0, var = 0;
        for (int i = 0; i < D; i++) mean += x[(size_t)r * D + i];
        mean /= D;
        for (int i = 0; i < D; i++) var += (x[(size_t)r * D + i] - mean) * (x[(size_t)r * D + i] - mean);
        var /= D;
        for (int i = 0; i < D; i++) e2[(size_t)r * D + i] = (x[(size_t)r * D + i] - mean) / std::sqrt(var + 1e-5) * g[i % C] + be[i % C];
    }
    std::vector<float> g2(D), b2(D);
    for (int i = 0; i < D; i++) { g2[i] = g[i % C]; b2[i] = be[i % C]; }
    Buf<T> bg2(g2), bb2(b2), y2(x.size());
    const bool byWarp = D % 8 == 0 && D <= 2048;
    if (byWarp) {
        launch({(unsigned)(rows + 7) / 8}, {256}, [&] {
            if constexpr (std::is_same_v<T, half>) layer_norm_f16(bx.p(), bg2.p(), bb2.p(), y2.p(), rows, D, 1e-5f);
            else layer_norm_f32(bx.p(), bg2.p(), bb2.p(), y2.p(), rows, D, 1e-5f);
        });
    } else {
        launch({(unsigned)rows}, {256}, [&] {
            if constexpr (std::is_same_v<T, half>) layer_norm_rows_f16(bx.p(), bg2.p(), bb2.p(), y2.p(), D, 1e-5f);
            else layer_norm_rows_f32(bx.p(), bg2.p(), bb2.p(), y2.p(), D, 1e-5f);
        });
    }
    report(std::string(byWarp ? "layer_norm_" : "layer_norm_rows_") + sfx<T>() + " rows" + std::to_string(rows) + " D" + std::to_string(D), e2, y2.f(), tol<T>());
}

template <class T>
static void attention(int B, int H, int Lq, int Lk, int D, bool causal) {
    const size_t ldr = (size_t)H * D;
    auto q = rounded<T>(rnd(B * Lq * ldr, 2.0f)), k = rounded<T>(rnd(B * Lk * ldr, 2.0f)), v = rounded<T>(rnd(B * Lk * ldr));
    std::vector<double> e(B * Lq * ldr);
    const double scale = 1.0 / std::sqrt((double)D);
    for (int b = 0; b < B; b++)
        for (int h = 0; h < H; h++)
            for (int i = 0; i < Lq; i++) {
                std::vector<double> s(Lk);
                double mx = -1e300;
                for (int j = 0; j < Lk; j++) {
                    double d = 0;
                    for (int t = 0; t < D; t++) d += (double)q[(b * Lq + i) * ldr + h * D + t] * k[(b * Lk + j) * ldr + h * D + t];
                    s[j] = (causal && j > i) ? -INFINITY : d * scale;
                    mx = std::max(mx, s[j]);
                }
                double sum = 0;
                for (int j = 0; j < Lk; j++) sum += (s[j] = std::exp(s[j] - mx));
                for (int t = 0; t < D; t++) {
                    double o = 0;
                    for (int j = 0; j < Lk; j++) o += s[j] * v[(b * Lk + j) * ldr + h * D + t];
                    e[(b * Lq + i) * ldr + h * D + t] = o / sum;
                }
            }
    Buf<T> bq(q), bk(k), bv(v), y(e.size());
    std::string name;
    if constexpr (std::is_same_v<T, half>) {
        name = "attn_generic_f16";
        launch({(unsigned)(Lq + 7) / 8, (unsigned)(B * H)}, {128}, [&] { attn_generic_f16(bq.p(), bk.p(), bv.p(), y.p(), H, D, Lq, Lk, causal, (float)scale); });
    } else {
        name = "attn_generic_f32";
        launch({(unsigned)(Lq + 7) / 8, (unsigned)(B * H)}, {128}, [&] { attn_generic_f32(bq.p(), bk.p(), bv.p(), y.p(), H, D, Lq, Lk, causal, (float)scale); });
    }
    const std::string shape = " B" + std::to_string(B) + " H" + std::to_string(H) + " Lq" + std::to_string(Lq) + " Lk" +
                              std::to_string(Lk) + " D" + std::to_string(D) + (causal ? " causal" : "");
    report(name + shape, e, y.f(), tol<T>());
    if constexpr (std::is_same_v<T, half>) {
        if (D == 64) {  // the mma.sync kernel, 64 queries per block of 4 warps
            Buf<T> y2(e.size());
            launch({(unsigned)(Lq + 63) / 64, (unsigned)(B * H)}, {128},
                   [&] { attn64_mma_f16(bq.p(), bk.p(), bv.p(), y2.p(), H, Lq, Lk, causal, (float)scale); });
            report("attn64_mma_f16" + shape, e, y2.f(), tol<T>());
        }
    }
}

template <class T>
static void pointwise() {
    const long long n = 3 * 7 * 11;
    auto x = rounded<T>(rnd(n, 4.0f));
    for (int kind = 0; kind < 3; kind++) {
        std::vector<double> e(n);
        for (long long i = 0; i < n; i++) {
            double v = x[i];
            e[i] = kind == 0 ? 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))) : kind == 1 ? v / (1 + std::exp(-1.702 * v)) : v / (1 + std::exp(-v));
        }
        Buf<T> bx(x), y(n);
        launch({4}, {256}, [&] {
            if constexpr (std::is_same_v<T, half>) act_f16(bx.p(), y.p(), n, kind);
            else act_f32(bx.p(), y.p(), n, kind);
        });
        report(std::string("act_") + sfx<T>() + " kind " + std::to_string(kind), e, y.f(), tol<T>());
    }
    const int rows = 13, F = 40;
    auto g = rounded<T>(rnd(rows * 2 * F, 3.0f));
    std::vector<double> e(rows * F);
    for (int r = 0; r < rows; r++)
        for (int c = 0; c < F; c++) {
            double gate = g[r * 2 * F + F + c];
            e[r * F + c] = g[r * 2 * F + c] * 0.5 * gate * (1 + std::erf(gate / std::sqrt(2.0)));
        }
    Buf<T> bg(g), y(rows * F);
    launch({2}, {256}, [&] {
        if constexpr (std::is_same_v<T, half>) geglu_f16(bg.p(), y.p(), rows, F);
        else geglu_f32(bg.p(), y.p(), rows, F);
    });
    report(std::string("geglu_") + sfx<T>(), e, y.f(), tol<T>());
    const int BC = 6, S = 35;
    auto a = rounded<T>(rnd(BC * S)), b = rounded<T>(rnd(BC * S)), ch = rounded<T>(rnd(BC));
    std::vector<double> ea(BC * S), ec(BC * S), es(BC * S);
    for (int i = 0; i < BC * S; i++) { ea[i] = a[i] + (double)b[i]; ec[i] = a[i] + (double)ch[i / S]; es[i] = a[i] * 0.18215; }
    Buf<T> ba(a), bb(b), bch(ch), ya(BC * S), yc(BC * S), ys(BC * S);
    launch({1}, {256}, [&] {
        if constexpr (std::is_same_v<T, half>) {
            add_f16(ba.p(), bb.p(), ya.p(), BC * S);
            add_channels_f16(ba.p(), bch.p(), yc.p(), BC * S, S);
            scale_f16(ba.p(), ys.p(), BC * S, 0.18215f);
        } else {
            add_f32(ba.p(), bb.p(), ya.p(), BC * S);
            add_channels_f32(ba.p(), bch.p(), yc.p(), BC * S, S);
            scale_f32(ba.p(), ys.p(), BC * S, 0.18215f);
        }
    });
    report(std::string("add_") + sfx<T>(), ea, ya.f(), tol<T>());
    report(std::string("add_channels_") + sfx<T>(), ec, yc.f(), tol<T>());
    report(std::string("scale_") + sfx<T>(), es, ys.f(), tol<T>());
}

// Layout kernels move raw elements; checked on fp32 words (the f16 variants differ only in width).
static void layout_ops() {
    const int O = 2, Da = 3, Db = 4, I = 35;
    auto a = rnd(O * Da * I), b = rnd(O * Db * I);
    std::vector<double> e;
    for (int o = 0; o < O; o++) {
        for (int j = 0; j < Da * I; j++) e.push_back(a[o * Da * I + j]);
        for (int j = 0; j < Db * I; j++) e.push_back(b[o * Db * I + j]);
    }
    Buf<float> y(e.size());
    launch({1}, {256}, [&] { concat_f32(a.data(), b.data(), y.p(), (long long)e.size(), Da, Db, I); });
    report("concat_f32", e, y.f(), 0);
    std::vector<double> es;
    for (int o = 0; o < O; o++)
        for (int j = 1; j < 3; j++)
            for (int i = 0; i < I; i++) es.push_back(b[(o * Db + j) * I + i]);
    Buf<float> ys(es.size());
    launch({1}, {256}, [&] { slice_f32(b.data(), ys.p(), (long long)es.size(), Db, 1, 2, I); });
    report("slice_f32", es, ys.f(), 0);
    const int B = 2, R = 67, Cc = 45;
    auto t = rnd(B * R * Cc);
    std::vector<double> et(t.size());
    for (int bb = 0; bb < B; bb++)
        for (int r = 0; r < R; r++)
            for (int c = 0; c < Cc; c++) et[(size_t)bb * R * Cc + (size_t)c * R + r] = t[(size_t)bb * R * Cc + (size_t)r * Cc + c];
    Buf<float> yt(t.size());
    launch({(Cc + 31) / 32, (R + 31) / 32, B}, {32, 8}, [&] { transpose_f32(t.data(), yt.p(), R, Cc); });
    report("transpose_f32", et, yt.f(), 0);
    std::vector<unsigned short> t16(t.size()), y16(t.size(), 0xFFFF);
    for (size_t i = 0; i < t.size(); i++) t16[i] = (unsigned short)i;
    launch({(Cc + 31) / 32, (R + 31) / 32, B}, {32, 8}, [&] { transpose_f16(t16.data(), y16.data(), R, Cc); });
    std::vector<double> e16(t.size());
    std::vector<float> a16(t.size());
    for (int bb = 0; bb < B; bb++)
        for (int r = 0; r < R; r++)
            for (int c = 0; c < Cc; c++) {
                e16[(size_t)bb * R * Cc + (size_t)c * R + r] = (double)(size_t)(bb * R * Cc + r * Cc + c);
            }
    for (size_t i = 0; i < t.size(); i++) a16[i] = y16[i];
    report("transpose_f16", e16, a16, 0);
    const int BC = 3, Hh = 5, Ww = 7;
    auto u = rnd(BC * Hh * Ww);
    std::vector<double> eu(BC * 4 * Hh * Ww);
    for (int c = 0; c < BC; c++)
        for (int y0 = 0; y0 < 2 * Hh; y0++)
            for (int x0 = 0; x0 < 2 * Ww; x0++) eu[(c * 2 * Hh + y0) * 2 * Ww + x0] = u[(c * Hh + y0 / 2) * Ww + x0 / 2];
    Buf<float> yu(eu.size());
    launch({2}, {256}, [&] { upsample2x_f32(u.data(), yu.p(), (long long)eu.size(), Hh, Ww); });
    report("upsample2x_f32", eu, yu.f(), 0);
    const int V = 50, D = 24;
    auto tab = rnd(V * D);
    std::vector<int> ids = {49, 0, 3, 3, 17};
    std::vector<double> ee;
    for (int id : ids)
        for (int d = 0; d < D; d++) ee.push_back(tab[id * D + d]);
    Buf<float> ye(ee.size());
    launch({1}, {256}, [&] { embedding_f32(tab.data(), ids.data(), ye.p(), (long long)ee.size(), D); });
    report("embedding_f32", ee, ye.f(), 0);
    auto c32 = rnd(300, 100.0f);
    std::vector<half> h(300);
    std::vector<float> back(300, NAN);
    launch({2}, {256}, [&] { f32_to_f16(c32.data(), h.data(), 300); });
    launch({2}, {256}, [&] { f16_to_f32(h.data(), back.data(), 300); });
    std::vector<double> ec(c32.begin(), c32.end());
    report("f32_to_f16 / f16_to_f32", ec, back, 5e-4);
}

int main() {
    linear<half>(130, 72, 200, true);
    linear<half>(7, 13, 5, true);
    linear<half>(33, 40, 129, false);
    linear<half>(33, 40, 136, false);
    linear<half>(257, 264, 136, true);
    linear<half>(300, 136, 512, true);
    linear<half>(130, 520, 256, false);
    linear_geglu(130, 72, 64);
    linear_geglu(257, 136, 192);
    linear<float>(70, 72, 65, true);
    linear<float>(7, 13, 5, false);
    linear<float>(200, 36, 130, true);
    conv<half>(1, 3, 7, 9, 5, 3, 1, 1);
    conv<half>(1, 16, 17, 15, 130, 3, 2, 1);
    conv<half>(2, 8, 8, 8, 16, 1, 1, 0);
    conv<half>(1, 24, 13, 11, 130, 3, 1, 1);
    conv<half>(2, 16, 9, 8, 40, 3, 2, 1);
    conv<half>(1, 40, 9, 7, 256, 3, 1, 1);
    conv<half>(2, 8, 8, 8, 512, 1, 1, 0);
    conv<float>(1, 3, 7, 9, 5, 3, 1, 1);
    conv<float>(2, 8, 9, 8, 16, 3, 2, 1);
    conv<float>(1, 12, 13, 11, 130, 3, 1, 1);
    conv<float>(2, 16, 6, 6, 8, 1, 1, 0);
    norms<half>(2, 64, 9, 32, true);
    norms<half>(1, 32, 33, 8, false);
    norms<float>(2, 64, 9, 32, true);
    norms<half>(1, 8, 40, 4, true);
    norms<float>(3, 8, 1288, 4, false);
    attention<half>(2, 2, 77, 77, 32, true);
    attention<half>(1, 2, 100, 77, 64, false);
    attention<half>(1, 1, 130, 130, 64, true);
    attention<half>(2, 1, 65, 200, 64, false);
    attention<half>(1, 2, 300, 77, 64, false);
    attention<half>(1, 1, 260, 260, 64, true);
    attention<half>(1, 1, 40, 40, 128, false);
    attention<float>(1, 1, 19, 19, 512, false);
    attention<float>(1, 2, 17, 5, 40, false);
    attention<float>(1, 3, 21, 21, 64, true);
    pointwise<half>();
    pointwise<float>();
    layout_ops();
    std::printf(failures ? "%d FAILED\n" : "all kernels within bounds\n", failures);
    return failures ? 1 : 0;
}
