// eslint for static/js (`npm run lint`, run by .ci/run): the recommended rules, browser globals and
// those of the vendored libraries. static/js/meeting/ holds ES modules; the other files are scripts.
const js = require("@eslint/js");
const globals = require("globals");

const vendored = { io: "readonly", bootstrap: "readonly", Chart: "readonly", App: "readonly", Janus: "readonly", adapter: "readonly" };

module.exports = [
  { ignores: ["static/vendor/**", "node_modules/**"] },
  js.configs.recommended,
  {
    files: ["static/js/**/*.js"],
    languageOptions: {
      ecmaVersion: 2022,
      sourceType: "script",
      globals: { ...globals.browser, ...vendored },
    },
  },
  {
    files: ["static/js/meeting/**/*.js"],
    languageOptions: { sourceType: "module" },
  },
  {
    files: ["eslint.config.js"],
    languageOptions: { sourceType: "commonjs", globals: globals.node },
  },
];
