package io.basalt.core.erasure;

/**
 * The codec's one hot loop, GF(2^8) matrix times shards: {@code outputs[o] = sum_i rows[o][i] * inputs[i]}
 * byte by byte. Two implementations: {@link ScalarKernel} (product-table lookups, runs everywhere) and
 * VectorKernel (jdk.incubator.vector, split-nibble tables). {@link #ACTIVE} is chosen once at class init.
 */
interface GfKernel {

    /** The kernel every {@link ReedSolomon} uses unless a test hands it another. */
    GfKernel ACTIVE = Selection.choose();

    /** "scalar" or "vector". */
    String name();

    /**
     * A coder for a fixed matrix {@code rows} (outputs x inputs), with whatever tables it needs built once;
     * immutable and thread-safe. {@code rows} must not be mutated afterwards.
     */
    Coder coder(byte[][] rows);

    interface Coder {
        /**
         * outputs[o][outOffset + b] = sum_i rows[o][i] * inputs[i][inOffset + b] for b in [0, len). Outputs
         * are overwritten (not accumulated into); bounds are the caller's to check.
         */
        void code(byte[][] inputs, int inOffset, byte[][] outputs, int outOffset, int len);
    }

    final class Selection {
        /** System property that forces a kernel: "scalar" (for comparison) or "auto" (the default). */
        static final String PROPERTY = "basalt.codec";

        private Selection() {}

        /**
         * The vector kernel when the JVM runs with {@code --add-modules jdk.incubator.vector}, its preferred
         * byte species has at least 128 bits, C2 compiles and {@code -Dbasalt.codec=scalar} is not set;
         * otherwise the scalar one. VectorKernel is only loaded (linked) when the module is present, so this
         * class runs on a JVM without it.
         */
        static GfKernel choose() {
            if ("scalar".equalsIgnoreCase(System.getProperty(PROPERTY, "auto")) || !c2Compiles()) {
                return ScalarKernel.INSTANCE;
            }
            GfKernel vector = vectorIfUsable();
            return vector != null ? vector : ScalarKernel.INSTANCE;
        }

        /**
         * False when the JVM never reaches C2 (-Xint, or -XX:TieredStopAtLevel below 4, as the chaos cluster
         * and the admin CLI run): the Vector API is only intrinsified by C2, and its Java fallback runs ~100x
         * slower than the scalar loops (0.003 vs 0.39 GB/s for 4+2 under C1, measured here).
         */
        static boolean c2Compiles() {
            if (System.getProperty("java.vm.info", "").contains("interpreted mode")) {
                return false;
            }
            try {
                var vm = java.lang.management.ManagementFactory.getPlatformMXBean(
                        com.sun.management.HotSpotDiagnosticMXBean.class);
                boolean tiered =
                        Boolean.parseBoolean(vm.getVMOption("TieredCompilation").getValue());
                int stopAt =
                        Integer.parseInt(vm.getVMOption("TieredStopAtLevel").getValue());
                return !tiered || stopAt >= 4;
            } catch (RuntimeException | LinkageError e) {
                return true; // not HotSpot, or no such options: assume an optimising JIT
            }
        }

        /** The vector kernel, or null when the module is absent or its vectors are too short. */
        static GfKernel vectorIfUsable() {
            if (ModuleLayer.boot().findModule("jdk.incubator.vector").isEmpty()) {
                return null;
            }
            try {
                return VectorKernel.createIfUsable();
            } catch (LinkageError e) {
                return null;
            }
        }
    }
}
