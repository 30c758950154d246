package io.cyrocketmq.interop;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.rocketmq.remoting.CommandCustomHeader;

/**
 * A custom header with one field of every type RemotingCommand's reflective
 * header codec understands (String, int/Integer, long/Long, boolean/Boolean,
 * double/Double; see RemotingCommand#decodeCommandCustomHeaderDirectly in
 * rocketmq-remoting 5.3.x). It deliberately does NOT implement FastCodesHeader,
 * so it goes through makeCustomHeaderToNet() (reflection, value.toString()) in
 * both serialize types.
 */
public class AllTypesHeader implements CommandCustomHeader {
    /** Values the interop client sends (the shared test contract). */
    static final String STRING_VALUE = "h\u00e9llo \"quoted\" \\ back\nslash \u4e2d\u6587 {}[]:,";
    static final String PROPERTIES_VALUE = "KEYS\u0001k1 k2\u0002TAGS\u0001TagA\u0002";
    static final int INT_VALUE = -42;
    static final Integer INTEGER_VALUE = 2147483647;
    static final long LONG_VALUE = -9223372036854775808L;
    static final Long LONG_OBJ_VALUE = 1700000000000L;
    static final boolean BOOL_VALUE = true;
    static final Boolean BOOL_OBJ_VALUE = false;
    static final double DOUBLE_VALUE = 3.5;

    private String stringField;
    private String propertiesField;
    private int intField;
    private Integer integerField;
    private long longField;
    private Long longObjField;
    private boolean boolField;
    private Boolean boolObjField;
    private double doubleField;

    public AllTypesHeader() {
    }

    /** The header with the contract's values. */
    static AllTypesHeader sample() {
        AllTypesHeader h = new AllTypesHeader();
        h.stringField = STRING_VALUE;
        h.propertiesField = PROPERTIES_VALUE;
        h.intField = INT_VALUE;
        h.integerField = INTEGER_VALUE;
        h.longField = LONG_VALUE;
        h.longObjField = LONG_OBJ_VALUE;
        h.boolField = BOOL_VALUE;
        h.boolObjField = BOOL_OBJ_VALUE;
        h.doubleField = DOUBLE_VALUE;
        return h;
    }

    /** Field-by-field differences from {@code other}; empty when equal. */
    List<String> diff(AllTypesHeader other) {
        List<String> d = new ArrayList<>();
        if (other == null) {
            d.add("decoded header is null");
            return d;
        }
        check(d, "stringField", stringField, other.stringField);
        check(d, "propertiesField", propertiesField, other.propertiesField);
        check(d, "intField", intField, other.intField);
        check(d, "integerField", integerField, other.integerField);
        check(d, "longField", longField, other.longField);
        check(d, "longObjField", longObjField, other.longObjField);
        check(d, "boolField", boolField, other.boolField);
        check(d, "boolObjField", boolObjField, other.boolObjField);
        check(d, "doubleField", doubleField, other.doubleField);
        return d;
    }

    private static void check(List<String> d, String name, Object expected, Object actual) {
        if (!Objects.equals(expected, actual)) {
            d.add(name + ": expected " + Util.javaLiteral(String.valueOf(expected))
                + " got " + Util.javaLiteral(String.valueOf(actual)));
        }
    }

    @Override
    public void checkFields() {
        // no-op: the interop tests check values explicitly.
    }

    public String getStringField() {
        return stringField;
    }

    public void setStringField(String stringField) {
        this.stringField = stringField;
    }

    public String getPropertiesField() {
        return propertiesField;
    }

    public void setPropertiesField(String propertiesField) {
        this.propertiesField = propertiesField;
    }

    public int getIntField() {
        return intField;
    }

    public void setIntField(int intField) {
        this.intField = intField;
    }

    public Integer getIntegerField() {
        return integerField;
    }

    public void setIntegerField(Integer integerField) {
        this.integerField = integerField;
    }

    public long getLongField() {
        return longField;
    }

    public void setLongField(long longField) {
        this.longField = longField;
    }

    public Long getLongObjField() {
        return longObjField;
    }

    public void setLongObjField(Long longObjField) {
        this.longObjField = longObjField;
    }

    public boolean isBoolField() {
        return boolField;
    }

    public void setBoolField(boolean boolField) {
        this.boolField = boolField;
    }

    public Boolean getBoolObjField() {
        return boolObjField;
    }

    public void setBoolObjField(Boolean boolObjField) {
        this.boolObjField = boolObjField;
    }

    public double getDoubleField() {
        return doubleField;
    }

    public void setDoubleField(double doubleField) {
        this.doubleField = doubleField;
    }
}
