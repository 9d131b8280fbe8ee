module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  testRules: {
    // Checks shared in __testUtils__ are named expect…(): a test that calls one asserts.
    'jest/expect-expect': ['warn', { assertFunctionNames: ['expect', 'expect*'] }],
  },
});
