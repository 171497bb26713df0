package io.basalt.core.erasure;

/** The portable kernel: one row of the 256 x 256 product table per (output, input) pair. */
final class ScalarKernel implements GfKernel {

    static final ScalarKernel INSTANCE = new ScalarKernel();

    /**
     * Bytes processed per pass over all (output, input) pairs. Working through the range in chunks keeps
     * the k input slices and m output slices in L1/L2 while every output row reads them, instead of
     * streaming each whole input shard from memory once per output shard.
     */
    private static final int CHUNK = 8 * 1024;

    private ScalarKernel() {}

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public Coder coder(byte[][] rows) {
        return (inputs, inOffset, outputs, outOffset, len) -> {
            for (int done = 0; done < len; done += CHUNK) {
                int n = Math.min(CHUNK, len - done);
                for (int o = 0; o < outputs.length; o++) {
                    codeRow(rows[o], inputs, inOffset + done, outputs[o], outOffset + done, n);
                }
            }
        };
    }

    /**
     * out[outOffset + b] = sum_i coefs[i] * inputs[i][inOffset + b] for b in [0, len). Per byte: a load, a
     * table lookup and an XOR; the first input assigns, which saves clearing the output.
     */
    static void codeRow(byte[] coefs, byte[][] inputs, int inOffset, byte[] out, int outOffset, int len) {
        byte[] mulRow = GaloisField.mulRow(coefs[0]);
        byte[] in = inputs[0];
        for (int b = 0; b < len; b++) {
            out[outOffset + b] = mulRow[in[inOffset + b] & 0xFF];
        }
        for (int i = 1; i < inputs.length; i++) {
            mulRow = GaloisField.mulRow(coefs[i]);
            in = inputs[i];
            for (int b = 0; b < len; b++) {
                out[outOffset + b] ^= mulRow[in[inOffset + b] & 0xFF];
            }
        }
    }
}
