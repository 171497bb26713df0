package io.basalt.core.erasure;

/**
 * Runs {@link ReedSolomonProperties} under Maven: surefire's default includes ({@code *Test},
 * {@code Test*}, {@code *Tests}, {@code *TestCase}) do not match {@code *Properties}, and jqwik
 * runs inherited {@code @Property} methods. Delete this shim if the build adds
 * {@code **}{@code /*Properties.java} to the surefire includes, or the properties run twice.
 */
class ReedSolomonPropertiesTest extends ReedSolomonProperties {}
