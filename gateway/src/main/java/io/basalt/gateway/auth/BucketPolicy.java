package io.basalt.gateway.auth;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import io.basalt.gateway.s3.S3Error;
import io.basalt.gateway.s3.S3Exception;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * A bucket policy, in the part of AWS's policy language Basalt evaluates: statements whose Effect is
 * Allow or Deny, whose Principal is {@code "*"} (any key of this cluster) or {@code {"AWS": [access key
 * ids]}}, whose Action names S3 actions ({@code *} and {@code ?} wildcards) and whose Resource names this
 * bucket or objects in it ({@code arn:aws:s3:::bucket/prefix*}). Condition, NotAction, NotResource and
 * NotPrincipal are refused when the policy is put, never ignored: a policy saying more than Basalt
 * understands would allow or deny other than its author meant. Requests are always authenticated,
 * so {@code "*"} never admits an anonymous one.
 */
public record BucketPolicy(List<Statement> statements) {

    /** AWS's limit on a bucket policy's size. */
    public static final int MAX_BYTES = 20 * 1024;

    public enum Effect {
        ALLOW,
        DENY
    }

    /** A policy's answer to one request: an explicit Deny wins over every Allow. */
    public enum Decision {
        ALLOW,
        DENY,
        NONE
    }

    /** @param principals access key ids, or {"*"}; @param actions lower-case patterns; @param resources ARN patterns */
    public record Statement(Effect effect, Set<String> principals, List<String> actions, List<String> resources) {

        boolean applies(String accessKeyId, String action, String resource) {
            if (!principals.contains("*") && !principals.contains(accessKeyId)) return false;
            String a = action.toLowerCase(Locale.ROOT);
            return actions.stream().anyMatch(p -> matches(p, a))
                    && resources.stream().anyMatch(p -> matches(p, resource));
        }
    }

    static final String ARN_PREFIX = "arn:aws:s3:::";

    /** Denies every key everything: what a stored policy this gateway cannot read stands for. */
    public static final BucketPolicy DENY_ALL =
            new BucketPolicy(List.of(new Statement(Effect.DENY, Set.of("*"), List.of("*"), List.of("*"))));

    /** S3 actions a policy may name. Some name what Basalt does not serve (versions, tagging): they match no request. */
    private static final Set<String> ACTIONS = Set.of(
            "s3:getobject",
            "s3:putobject",
            "s3:deleteobject",
            "s3:listbucket",
            "s3:listbucketversions",
            "s3:listbucketmultipartuploads",
            "s3:listmultipartuploadparts",
            "s3:abortmultipartupload",
            "s3:getbucketlocation",
            "s3:deletebucket",
            "s3:getbucketpolicy",
            "s3:putbucketpolicy",
            "s3:deletebucketpolicy",
            "s3:getbucketacl",
            "s3:putbucketacl",
            "s3:getobjectacl",
            "s3:putobjectacl",
            "s3:getobjecttagging",
            "s3:putobjecttagging",
            "s3:deleteobjecttagging",
            "s3:putlifecycleconfiguration",
            "s3:putbucketversioning",
            "s3:getbuckettagging",
            "s3:getbucketversioning",
            "s3:getlifecycleconfiguration",
            "s3:getbucketcors",
            "s3:getencryptionconfiguration",
            "s3:getbucketobjectlockconfiguration",
            "s3:getobjectversion",
            "s3:deleteobjectversion",
            "s3:getobjectversiontagging",
            "s3:putobjectversiontagging",
            "s3:deleteobjectversiontagging");

    /** The ARN of a bucket, as bucket-level actions name it. */
    public static String arn(String bucket) {
        return ARN_PREFIX + bucket;
    }

    /** The ARN of an object. */
    public static String arn(String bucket, String key) {
        return ARN_PREFIX + bucket + "/" + key;
    }

    /** What the policy says of {@code action} on {@code resource} asked by {@code accessKeyId}. */
    public Decision evaluate(String accessKeyId, String action, String resource) {
        Decision d = Decision.NONE;
        for (Statement s : statements) {
            if (!s.applies(accessKeyId, action, resource)) continue;
            if (s.effect() == Effect.DENY) return Decision.DENY;
            d = Decision.ALLOW;
        }
        return d;
    }

    /** Whether any Allow statement names {@code accessKeyId} and {@code action}, whatever the resource. */
    public boolean mayAllow(String accessKeyId, String action) {
        String a = action.toLowerCase(Locale.ROOT);
        for (Statement s : statements) {
            if (s.effect() != Effect.ALLOW) continue;
            if (!s.principals().contains("*") && !s.principals().contains(accessKeyId)) continue;
            if (s.actions().stream().anyMatch(p -> matches(p, a))) return true;
        }
        return false;
    }

    /**
     * The policy {@code json} puts on {@code bucket}.
     *
     * @throws S3Exception MalformedPolicy, naming what is wrong
     */
    public static BucketPolicy parse(String json, String bucket) {
        if (json.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES)
            throw malformed("Policies must be at most 20 KB.");
        JsonElement root;
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.STRICT);
            root = JsonParser.parseReader(reader);
            // parseReader stops after the first value: anything after it is not part of a valid document
            if (reader.peek() != com.google.gson.stream.JsonToken.END_DOCUMENT)
                throw new JsonParseException("trailing");
        } catch (JsonParseException | java.io.IOException e) {
            throw malformed("This policy is not valid JSON.");
        }
        JsonObject doc = object(root, "The policy");
        allowOnly(doc, "policy", Set.of("Version", "Id", "Statement"));
        JsonElement version = doc.get("Version");
        if (version == null
                || !version.isJsonPrimitive()
                || !Set.of("2012-10-17", "2008-10-17").contains(version.getAsString())) {
            throw malformed("The policy must have Version \"2012-10-17\".");
        }
        List<Statement> statements = new ArrayList<>();
        JsonElement st = doc.get("Statement");
        if (st == null) throw malformed("The policy has no Statement.");
        for (JsonElement e : asList(st)) statements.add(statement(object(e, "A statement"), bucket));
        if (statements.isEmpty()) throw malformed("The policy has no Statement.");
        return new BucketPolicy(List.copyOf(statements));
    }

    private static Statement statement(JsonObject s, String bucket) {
        for (String unsupported : List.of("Condition", "NotAction", "NotResource", "NotPrincipal")) {
            if (s.has(unsupported)) {
                throw malformed(unsupported + " is not supported here: a policy is refused rather than"
                        + " evaluated without it.");
            }
        }
        allowOnly(s, "statement", Set.of("Sid", "Effect", "Principal", "Action", "Resource"));
        Effect effect = switch (string(s.get("Effect"), "Effect")) {
            case "Allow" -> Effect.ALLOW;
            case "Deny" -> Effect.DENY;
            default -> throw malformed("Effect must be Allow or Deny.");
        };
        Set<String> principals = principals(s.get("Principal"));
        List<String> actions = new ArrayList<>();
        for (JsonElement a : asList(required(s, "Action"))) {
            String action = string(a, "Action").toLowerCase(Locale.ROOT);
            boolean known = action.contains("*") || action.contains("?")
                    ? action.startsWith("s3:") || action.equals("*")
                    : ACTIONS.contains(action);
            if (!known) throw malformed("Policy has invalid action: " + string(a, "Action"));
            actions.add(action);
        }
        List<String> resources = new ArrayList<>();
        for (JsonElement r : asList(required(s, "Resource"))) {
            String resource = string(r, "Resource");
            String rest = resource.startsWith(ARN_PREFIX) ? resource.substring(ARN_PREFIX.length()) : null;
            if (rest == null || !(rest.equals(bucket) || rest.startsWith(bucket + "/"))) {
                throw malformed("Policy has invalid resource: " + resource + " (it must name bucket " + bucket
                        + " or objects in it: " + ARN_PREFIX + bucket + "/...)");
            }
            resources.add(resource);
        }
        if (actions.isEmpty() || resources.isEmpty()) throw malformed("A statement needs an Action and a Resource.");
        return new Statement(effect, principals, List.copyOf(actions), List.copyOf(resources));
    }

    private static Set<String> principals(JsonElement p) {
        if (p == null) throw malformed("A statement needs a Principal.");
        if (p.isJsonPrimitive() && "*".equals(p.getAsString())) return Set.of("*");
        JsonObject o = object(p, "Principal");
        allowOnly(o, "Principal", Set.of("AWS"));
        List<String> ids = new ArrayList<>();
        for (JsonElement e : asList(required(o, "AWS"))) ids.add(string(e, "Principal"));
        if (ids.isEmpty()) throw malformed("Principal names no one.");
        return Set.copyOf(ids);
    }

    /** Glob matching with {@code *} (any run, also empty and across '/') and {@code ?} (one character). */
    static boolean matches(String pattern, String text) {
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.length()) {
            if (p < pattern.length() && (pattern.charAt(p) == '?' || pattern.charAt(p) == text.charAt(t))) {
                p++;
                t++;
            } else if (p < pattern.length() && pattern.charAt(p) == '*') {
                star = p++;
                mark = t;
            } else if (star >= 0) {
                p = star + 1;
                t = ++mark;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') p++;
        return p == pattern.length();
    }

    private static JsonElement required(JsonObject o, String name) {
        JsonElement e = o.get(name);
        if (e == null) throw malformed("A statement needs " + (name.equals("AWS") ? "Principal.AWS" : name) + ".");
        return e;
    }

    private static List<JsonElement> asList(JsonElement e) {
        if (e.isJsonArray()) {
            List<JsonElement> out = new ArrayList<>();
            for (JsonElement x : (JsonArray) e) out.add(x);
            return out;
        }
        return List.of(e);
    }

    private static JsonObject object(JsonElement e, String what) {
        if (e == null || !e.isJsonObject()) throw malformed(what + " must be a JSON object.");
        return e.getAsJsonObject();
    }

    private static String string(JsonElement e, String what) {
        if (e == null || !e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString())
            throw malformed(what + " must be a string.");
        return e.getAsString();
    }

    private static void allowOnly(JsonObject o, String what, Set<String> names) {
        for (String k : o.keySet()) {
            if (!names.contains(k)) throw malformed("Unknown field " + k + " in the " + what + ".");
        }
    }

    private static S3Exception malformed(String message) {
        return new S3Exception(S3Error.MALFORMED_POLICY, message);
    }
}
