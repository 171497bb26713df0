package io.basalt.deploy;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A Grafana dashboard JSON as the tests read it: its panels (rows' nested ones too) and every PromQL query. */
record GrafanaDashboard(JsonObject json, List<JsonObject> panels, List<Query> queries) {

    /** One PromQL expression and where it sits, for failure messages. */
    record Query(String where, String expr) {}

    static final Path FILE = Path.of("grafana", "basalt.json");

    private static final Pattern LABEL_VALUES = Pattern.compile("^\\s*label_values\\((.*)\\)\\s*$", Pattern.DOTALL);
    private static final Pattern QUERY_RESULT = Pattern.compile("^\\s*query_result\\((.*)\\)\\s*$", Pattern.DOTALL);

    static GrafanaDashboard read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    static GrafanaDashboard parse(String text) {
        JsonObject json = JsonParser.parseString(text).getAsJsonObject();
        List<JsonObject> panels = new ArrayList<>();
        collectPanels(json, panels);
        List<Query> queries = new ArrayList<>();
        for (JsonObject p : panels) {
            if (!p.has("targets")) continue;
            for (JsonElement t : p.getAsJsonArray("targets")) {
                JsonObject target = t.getAsJsonObject();
                if (target.has("expr"))
                    queries.add(new Query(
                            "panel " + p.get("id") + " \"" + string(p, "title") + "\" target "
                                    + string(target, "refId"),
                            target.get("expr").getAsString()));
            }
        }
        if (json.has("templating")) {
            for (JsonElement v : json.getAsJsonObject("templating").getAsJsonArray("list")) {
                JsonObject variable = v.getAsJsonObject();
                if (!"query".equals(string(variable, "type")) || !variable.has("query")) continue;
                JsonElement q = variable.get("query");
                String text2 = q.isJsonObject() ? string(q.getAsJsonObject(), "query") : q.getAsString();
                queries.add(new Query("variable " + string(variable, "name"), variableExpr(text2)));
            }
        }
        return new GrafanaDashboard(json, List.copyOf(panels), List.copyOf(queries));
    }

    /**
     * The PromQL inside a Prometheus variable query: the series selector of {@code label_values(selector, label)}
     * (none for {@code label_values(label)}), the expression of {@code query_result(expr)}, else the text itself.
     */
    static String variableExpr(String query) {
        Matcher m = LABEL_VALUES.matcher(query);
        if (m.matches()) {
            String args = m.group(1);
            int comma = lastTopLevelComma(args);
            return comma < 0 ? "" : args.substring(0, comma);
        }
        m = QUERY_RESULT.matcher(query);
        return m.matches() ? m.group(1) : query;
    }

    private static int lastTopLevelComma(String s) {
        int depth = 0;
        int last = -1;
        boolean quoted = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' && (i == 0 || s.charAt(i - 1) != '\\')) quoted = !quoted;
            if (quoted) continue;
            if (c == '(' || c == '{' || c == '[') depth++;
            else if (c == ')' || c == '}' || c == ']') depth--;
            else if (c == ',' && depth == 0) last = i;
        }
        return last;
    }

    private static void collectPanels(JsonObject parent, List<JsonObject> out) {
        if (!parent.has("panels")) return;
        for (JsonElement e : parent.getAsJsonArray("panels")) {
            JsonObject p = e.getAsJsonObject();
            out.add(p);
            collectPanels(p, out); // a collapsed row holds its panels
        }
    }

    static String string(JsonObject o, String member) {
        JsonElement e = o.get(member);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }
}
