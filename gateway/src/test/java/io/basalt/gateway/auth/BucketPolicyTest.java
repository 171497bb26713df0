package io.basalt.gateway.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.basalt.gateway.auth.BucketPolicy.Decision;
import io.basalt.gateway.s3.S3Exception;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class BucketPolicyTest {

    /** The glob matcher agrees with the same pattern as a regular expression. */
    @Property(tries = 2000)
    void globsMatchAsTheirRegularExpression(@ForAll("globs") String pattern, @ForAll("texts") String text) {
        StringBuilder regex = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            regex.append(
                    switch (c) {
                        case '*' -> ".*";
                        case '?' -> ".";
                        default -> Pattern.quote(String.valueOf(c));
                    });
        }
        assertEquals(
                Pattern.compile(regex.toString(), Pattern.DOTALL).matcher(text).matches(),
                BucketPolicy.matches(pattern, text),
                pattern + " ~ " + text);
    }

    @Provide
    Arbitrary<String> globs() {
        return Arbitraries.strings().withChars("ab/*?").ofMaxLength(8);
    }

    @Provide
    Arbitrary<String> texts() {
        return Arbitraries.strings().withChars("ab/").ofMaxLength(10);
    }

    /** Whatever the order of its statements, a Deny that applies wins; an Allow alone allows; else nothing. */
    @Property(tries = 300)
    void anExplicitDenyWinsInAnyOrder(@ForAll("statements") List<String> statements, @ForAll long seed) {
        List<String> shuffled = new ArrayList<>(statements);
        Collections.shuffle(shuffled, new java.util.Random(seed));
        BucketPolicy p = BucketPolicy.parse(
                "{\"Version\":\"2012-10-17\",\"Statement\":[" + String.join(",", shuffled) + "]}", "b");
        boolean deny = statements.stream().anyMatch(s -> s.contains("Deny") && s.contains("BKREADER"));
        boolean allow = statements.stream().anyMatch(s -> s.contains("Allow") && s.contains("BKREADER"));
        Decision expected = deny ? Decision.DENY : allow ? Decision.ALLOW : Decision.NONE;
        assertEquals(expected, p.evaluate("BKREADER", "s3:GetObject", BucketPolicy.arn("b", "docs/x")));
    }

    @Provide
    Arbitrary<List<String>> statements() {
        Arbitrary<String> one = Arbitraries.of("Allow", "Deny")
                .flatMap(effect -> Arbitraries.of("BKREADER", "BKOTHER")
                        .map(who -> "{\"Effect\":\"" + effect
                                + "\",\"Principal\":{\"AWS\":\"" + who + "\"},\"Action\":\"s3:Get*\","
                                + "\"Resource\":\"arn:aws:s3:::b/docs/*\"}"));
        return one.list().ofMinSize(1).ofMaxSize(6);
    }

    /** Every operation on a bucket has an action a policy can name (a typo there would make it unreachable). */
    @Test
    void everyBucketOperationHasAnActionAPolicyAccepts() {
        for (io.basalt.gateway.s3.S3Operation op : io.basalt.gateway.s3.S3Operation.values()) {
            boolean onBucket = op.needs() != io.basalt.gateway.s3.S3Operation.Needs.ROOT
                    && op.needs() != io.basalt.gateway.s3.S3Operation.Needs.ANY_KEY;
            assertEquals(onBucket, op.action() != null, op.name());
            if (!onBucket) continue;
            BucketPolicy p = BucketPolicy.parse(
                    "{\"Version\":\"2012-10-17\",\"Statement\":{\"Effect\":\"Allow\",\"Principal\":\"*\","
                            + "\"Action\":\"" + op.action()
                            + "\",\"Resource\":[\"arn:aws:s3:::b\",\"arn:aws:s3:::b/*\"]}}",
                    "b");
            assertEquals(Decision.ALLOW, p.evaluate("BK", op.action(), BucketPolicy.arn("b", "k")), op.name());
        }
    }

    @Test
    void actionsAreCaseInsensitiveAndResourcesAreNot() {
        BucketPolicy p = BucketPolicy.parse("""
                {"Version":"2012-10-17","Statement":{"Effect":"Allow","Principal":"*",
                 "Action":"S3:getobject","Resource":["arn:aws:s3:::b/Docs/*","arn:aws:s3:::b"]}}""", "b");
        assertEquals(Decision.ALLOW, p.evaluate("BKX", "s3:GetObject", BucketPolicy.arn("b", "Docs/a")));
        assertEquals(Decision.NONE, p.evaluate("BKX", "s3:GetObject", BucketPolicy.arn("b", "docs/a")));
        assertEquals(Decision.NONE, p.evaluate("BKX", "s3:PutObject", BucketPolicy.arn("b", "Docs/a")));
        assertTrue(p.mayAllow("BKX", "s3:getObject"));
        assertFalse(p.mayAllow("BKX", "s3:DeleteObject"));
    }

    @Test
    void whatCannotBeEvaluatedIsRefusedWithItsReason() {
        String ok = """
                {"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":["BK1"]},
                 "Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}""";
        BucketPolicy.parse(ok, "b");
        for (String[] bad : List.of(
                new String[] {ok.replace("\"Effect\"", "\"Condition\":{},\"Effect\""), "Condition"},
                new String[] {ok.replace("\"Action\"", "\"NotAction\""), "NotAction"},
                new String[] {ok.replace("arn:aws:s3:::b/*", "arn:aws:s3:::bb/*"), "invalid resource"},
                new String[] {ok.replace("arn:aws:s3:::b/*", "b/*"), "invalid resource"},
                new String[] {ok.replace("2012-10-17", "2020-01-01"), "Version"},
                new String[] {ok.replace("s3:GetObject", "ec2:RunInstances"), "invalid action"},
                new String[] {ok.replace("{\"AWS\":[\"BK1\"]}", "{\"AWS\":[]}"), "no one"},
                new String[] {ok.replace("[{", "[{\"Extra\":1,"), "Unknown field Extra"},
                new String[] {ok + " trailing", "not valid JSON"},
                new String[] {"{'Version':'2012-10-17'}", "not valid JSON"}, // lenient JSON is not JSON
                new String[] {"{\"Version\":\"2012-10-17\",\"Statement\":[]}", "no Statement"},
                new String[] {ok.replace("\"Principal\":{\"AWS\":[\"BK1\"]},", ""), "Principal"})) {
            S3Exception e = assertThrows(S3Exception.class, () -> BucketPolicy.parse(bad[0], "b"), bad[0]);
            assertEquals("MalformedPolicy", e.error().code());
            assertTrue(e.getMessage().contains(bad[1]), bad[1] + " in: " + e.getMessage());
        }
        String big = ok.replace("\"Action\"", "\"Sid\":\"" + "x".repeat(BucketPolicy.MAX_BYTES) + "\",\"Action\"");
        assertTrue(assertThrows(S3Exception.class, () -> BucketPolicy.parse(big, "b"))
                .getMessage()
                .contains("20 KB"));
    }
}
