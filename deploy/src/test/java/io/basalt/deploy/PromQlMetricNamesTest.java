package io.basalt.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Set;
import org.junit.jupiter.api.Test;

/** The metric-name extractor on the shapes of PromQL a dashboard uses, and on what must not count as a name. */
class PromQlMetricNamesTest {

    @Test
    void aBareSelectorIsItsName() {
        assertEquals(Set.of("up"), PromQlMetricNames.of("up"));
        assertEquals(Set.of("job:requests:rate5m"), PromQlMetricNames.of("job:requests:rate5m"));
    }

    @Test
    void functionsAggregationsAndTheirLabelListsAreSkipped() {
        assertEquals(
                Set.of("basalt_gateway_request_seconds_bucket"),
                PromQlMetricNames.of("histogram_quantile(0.99, sum by (le, operation) "
                        + "(rate(basalt_gateway_request_seconds_bucket[$__rate_interval])))"));
        assertEquals(
                Set.of("x_total"), PromQlMetricNames.of("sum without(instance, job) (irate(x_total[5m])) by (code)"));
        assertEquals(Set.of("a", "b"), PromQlMetricNames.of("a * on (instance) group_left(dir, node) b"));
        assertEquals(Set.of("a", "b"), PromQlMetricNames.of("a / ignoring(code) group_right b"));
    }

    @Test
    void labelMatchersStringsAndVariablesAreNotNames() {
        assertEquals(
                Set.of("basalt_node_shard_writes_total"),
                PromQlMetricNames.of("rate(basalt_node_shard_writes_total{instance=~\"$node\", code!=\"OK\","
                        + " dir=\"a}b\\\"not_a_metric\"}[${__range}])"));
        assertEquals(
                Set.of("m"),
                PromQlMetricNames.of("label_replace(m, \"dst\", \"$1\", \"src\", 'x(.*)') + count_values(`v`, m)"));
        assertEquals(Set.of("m"), PromQlMetricNames.of("m offset -1h30m @ 1609746000 > bool 1e-3 # a comment m2"));
        assertEquals(Set.of("m"), PromQlMetricNames.of("max_over_time(m[1h:5m]) or vector(0) unless on() Inf"));
    }

    @Test
    void binaryOperatorsKeepBothSides() {
        assertEquals(
                Set.of("basalt_node_data_dir_free_bytes", "basalt_node_data_dir_total_bytes"),
                PromQlMetricNames.of("min(basalt_node_data_dir_free_bytes/basalt_node_data_dir_total_bytes)"));
        assertEquals(Set.of("a", "b", "c"), PromQlMetricNames.of("(a and b) or c"));
    }

    @Test
    void malformedExpressionsAreRefusedRatherThanHalfRead() {
        assertThrows(IllegalArgumentException.class, () -> PromQlMetricNames.of("rate(m{code=\"OK}[5m])"));
        assertThrows(IllegalArgumentException.class, () -> PromQlMetricNames.of("sum by (le (m)"));
    }

    @Test
    void grafanaVariableQueriesYieldTheirSelector() {
        assertEquals(
                "basalt_node_healthy", GrafanaDashboard.variableExpr("label_values(basalt_node_healthy, instance)"));
        assertEquals("m{a=\"x,y\"}", GrafanaDashboard.variableExpr("label_values(m{a=\"x,y\"}, instance)"));
        assertEquals("", GrafanaDashboard.variableExpr("label_values(instance)"));
        assertEquals("sum(m)", GrafanaDashboard.variableExpr("query_result(sum(m))"));
    }
}
