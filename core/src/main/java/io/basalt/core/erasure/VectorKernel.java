package io.basalt.core.erasure;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * GF(2^8) multiply-accumulate on the Vector API with split-nibble tables: c * x = LO_c[x & 15] ^ HI_c[x >>> 4],
 * each a 16-entry table looked up with {@code selectFrom} (a byte shuffle: vpermb / pshufb). Only loaded when
 * the jdk.incubator.vector module is in the boot layer (see {@link GfKernel.Selection}).
 *
 * <p>Loop shape, chosen so C2 keeps every vector in a register (no ByteVector[] reads, no vector carried
 * around a loop): the range is cut into chunks that stay in L1/L2; per chunk, per input shard, per group of
 * up to four outputs, one tight loop loads the input vector once, splits its nibbles once and accumulates it
 * into every output of the group, with that group's tables hoisted out of the loop as loop invariants.
 * Bytes past the last whole vector go through the scalar loop.
 */
final class VectorKernel implements GfKernel {

    private static final VectorSpecies<Byte> SPECIES = ByteVector.SPECIES_PREFERRED;
    private static final int V = SPECIES.length();
    /** Bytes per pass over all (input, output group) pairs; k inputs + m outputs of this stay cached. */
    private static final int CHUNK = 16 * 1024;

    private VectorKernel() {}

    /** The kernel, or null when the preferred byte vector is shorter than 128 bits. */
    static GfKernel createIfUsable() {
        return SPECIES.vectorBitSize() >= 128 ? new VectorKernel() : null;
    }

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public Coder coder(byte[][] rows) {
        int outs = rows.length;
        int ins = outs == 0 ? 0 : rows[0].length;
        // tables[((o * ins + i) * 2) * V ...]: LO table of rows[o][i], then HI; 16 entries repeated over V lanes
        byte[] tables = new byte[outs * ins * 2 * V];
        for (int o = 0; o < outs; o++) {
            for (int i = 0; i < ins; i++) {
                byte[] mul = GaloisField.mulRow(rows[o][i]);
                int base = (o * ins + i) * 2 * V;
                for (int x = 0; x < V; x++) {
                    tables[base + x] = mul[x & 15];
                    tables[base + V + x] = mul[(x & 15) << 4];
                }
            }
        }
        return new VectorCoder(rows, tables, ins);
    }

    private record VectorCoder(byte[][] rows, byte[] tables, int ins) implements Coder {

        @Override
        public void code(byte[][] inputs, int inOffset, byte[][] outputs, int outOffset, int len) {
            int outs = outputs.length;
            int vectorLen = SPECIES.loopBound(len);
            for (int start = 0; start < vectorLen; start += CHUNK) {
                int n = Math.min(CHUNK, vectorLen - start);
                for (int i = 0; i < ins; i++) {
                    byte[] in = inputs[i];
                    boolean first = i == 0;
                    int o = 0;
                    for (; o + 4 <= outs; o += 4) {
                        pass4(in, inOffset + start, outputs, o, outOffset + start, n, table(o, i), first);
                    }
                    for (; o + 2 <= outs; o += 2) {
                        pass2(in, inOffset + start, outputs, o, outOffset + start, n, table(o, i), first);
                    }
                    if (o < outs) {
                        pass1(in, inOffset + start, outputs[o], outOffset + start, n, table(o, i), first);
                    }
                }
            }
            if (vectorLen < len) {
                for (int o = 0; o < outs; o++) {
                    ScalarKernel.codeRow(
                            rows[o], inputs, inOffset + vectorLen, outputs[o], outOffset + vectorLen, len - vectorLen);
                }
            }
        }

        /** Offset of the LO table of (output o, input i); its HI table follows, then (o + 1, i) is stride on. */
        private int table(int o, int i) {
            return (o * ins + i) * 2 * V;
        }

        private int stride() {
            return ins * 2 * V;
        }

        private void pass1(byte[] in, int inOff, byte[] out, int outOff, int n, int t, boolean first) {
            ByteVector lo0 = ByteVector.fromArray(SPECIES, tables, t);
            ByteVector hi0 = ByteVector.fromArray(SPECIES, tables, t + V);
            for (int b = 0; b < n; b += V) {
                ByteVector x = ByteVector.fromArray(SPECIES, in, inOff + b);
                ByteVector l = x.and((byte) 0x0F);
                ByteVector h = x.lanewise(VectorOperators.LSHR, 4);
                ByteVector p0 = l.selectFrom(lo0).lanewise(VectorOperators.XOR, h.selectFrom(hi0));
                if (!first) {
                    p0 = p0.lanewise(VectorOperators.XOR, ByteVector.fromArray(SPECIES, out, outOff + b));
                }
                p0.intoArray(out, outOff + b);
            }
        }

        private void pass2(byte[] in, int inOff, byte[][] outputs, int o, int outOff, int n, int t, boolean first) {
            int s = stride();
            byte[] out0 = outputs[o];
            byte[] out1 = outputs[o + 1];
            ByteVector lo0 = ByteVector.fromArray(SPECIES, tables, t);
            ByteVector hi0 = ByteVector.fromArray(SPECIES, tables, t + V);
            ByteVector lo1 = ByteVector.fromArray(SPECIES, tables, t + s);
            ByteVector hi1 = ByteVector.fromArray(SPECIES, tables, t + s + V);
            for (int b = 0; b < n; b += V) {
                ByteVector x = ByteVector.fromArray(SPECIES, in, inOff + b);
                ByteVector l = x.and((byte) 0x0F);
                ByteVector h = x.lanewise(VectorOperators.LSHR, 4);
                ByteVector p0 = l.selectFrom(lo0).lanewise(VectorOperators.XOR, h.selectFrom(hi0));
                ByteVector p1 = l.selectFrom(lo1).lanewise(VectorOperators.XOR, h.selectFrom(hi1));
                if (!first) {
                    p0 = p0.lanewise(VectorOperators.XOR, ByteVector.fromArray(SPECIES, out0, outOff + b));
                    p1 = p1.lanewise(VectorOperators.XOR, ByteVector.fromArray(SPECIES, out1, outOff + b));
                }
                p0.intoArray(out0, outOff + b);
                p1.intoArray(out1, outOff + b);
            }
        }

        private void pass4(byte[] in, int inOff, byte[][] outputs, int o, int outOff, int n, int t, boolean first) {
            int s = stride();
            byte[] out0 = outputs[o];
            byte[] out1 = outputs[o + 1];
            byte[] out2 = outputs[o + 2];
            byte[] out3 = outputs[o + 3];
            ByteVector lo0 = ByteVector.fromArray(SPECIES, tables, t);
            ByteVector hi0 = ByteVector.fromArray(SPECIES, tables, t + V);
            ByteVector lo1 = ByteVector.fromArray(SPECIES, tables, t + s);
            ByteVector hi1 = ByteVector.fromArray(SPECIES, tables, t + s + V);
            ByteVector lo2 = ByteVector.fromArray(SPECIES, tables, t + 2 * s);
            ByteVector hi2 = ByteVector.fromArray(SPECIES, tables, t + 2 * s + V);
            ByteVector lo3 = ByteVector.fromArray(SPECIES, tables, t + 3 * s);
            ByteVector hi3 = ByteVector.fromArray(SPECIES, tables, t + 3 * s + V);
            for (int b = 0; b < n; b += V) {
                ByteVector x = ByteVector.fromArray(SPECIES, in, inOff + b);
                ByteVector l = x.and((byte) 0x0F);
                ByteVector h = x.lanewise(VectorOperators.LSHR, 4);
                ByteVector p0 = l.selectFrom(lo0).lanewise(VectorOperators.XOR, h.selectFrom(hi0));
                ByteVector p1 = l.selectFrom(lo1).lanewise(VectorOperators.XOR, h.selectFrom(hi1));
                ByteVector p2 = l.selectFrom(lo2).lanewise(VectorOperators.XOR, h.selectFrom(hi2));
                ByteVector p3 = l.selectFrom(lo3).lanewise(VectorOperators.XOR, h.selectFrom(hi3));
                if (!first) {
                    p0 = p0.lanewise(VectorOperators.XOR, ByteVector.fromArray(SPECIES, out0, outOff + b));
                    p1 = p1.lanewise(VectorOperators.XOR, ByteVector.fromArray(SPECIES, out1, outOff + b));
                    p2 = p2.lanewise(VectorOperators.XOR, ByteVector.fromArray(SPECIES, out2, outOff + b));
                    p3 = p3.lanewise(VectorOperators.XOR, ByteVector.fromArray(SPECIES, out3, outOff + b));
                }
                p0.intoArray(out0, outOff + b);
                p1.intoArray(out1, outOff + b);
                p2.intoArray(out2, outOff + b);
                p3.intoArray(out3, outOff + b);
            }
        }
    }
}
