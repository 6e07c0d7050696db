// Shared by the browser benchmarks: open the app, drop a CSV and train it to the end.
'use strict';
const { dropFile } = require('../tests/e2e/support');

/** Opens the app at `url`, drops `csv` as file `name`, trains `preset` for `epochs` on
 * `compute` (`batch` genes per step when given) and resolves to the status line once finished. */
async function trainInPage(page, url, { name, csv, preset, epochs, compute, batch }) {
  await page.goto(url);
  await page.getByRole('status').filter({ hasText: 'Ready' }).waitFor({ timeout: 60_000 });
  await dropFile(page, name, csv);
  await page.getByRole('region', { name: 'Data summary' }).getByText('Time_numeric').waitFor({ timeout: 120_000 });
  await page.getByRole('combobox', { name: 'Preset' }).selectOption(preset);
  await page.getByRole('spinbutton', { name: 'Epochs' }).fill(String(epochs));
  if (batch) await page.getByRole('spinbutton', { name: 'Batch size' }).fill(String(batch));
  await page.getByRole('combobox', { name: 'Compute' }).selectOption(compute);
  await page.getByRole('button', { name: 'Train' }).click();
  await page.getByRole('status').filter({ hasText: 'Finished' }).waitFor({ timeout: 1_800_000 });
  return (await page.getByRole('status').textContent()).trim();
}

module.exports = { trainInPage };
