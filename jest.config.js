/** Unit tests for the pure parts of the frontend (formatting, model, DOM rendering). */
module.exports = {
  preset: 'ts-jest',
  testEnvironment: 'node',
  roots: ['<rootDir>/labextension/src'],
  testMatch: ['**/__tests__/**/*.spec.ts'],
  setupFiles: ['<rootDir>/jest.setup.js'],
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.test.json' }]
  },
  collectCoverageFrom: [
    'labextension/src/**/*.ts',
    '!labextension/src/**/__tests__/**',
    '!labextension/src/index.ts',
    '!labextension/src/request.ts'
  ],
  coverageReporters: ['text', 'lcov'],
  testPathIgnorePatterns: [
    '/node_modules/',
    '/labextension/lib/',
    '/jupyter_exp/'
  ]
};
