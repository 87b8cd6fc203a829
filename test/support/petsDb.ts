import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import initSqlJs from 'sql.js';

/**
 * A small SQLite database written by the tests themselves: students, their pets and who owns
 * which, with a primary key, foreign keys, mixed-case names and a few NULLs — the shapes the
 * SQLite engine, its guard and its policies are tested on. The values are made up here.
 */
export async function writePetsDatabase(file: string): Promise<string> {
  const SQL = await initSqlJs();
  const db = new SQL.Database();
  try {
    db.run(`
      CREATE TABLE Student (StuID INTEGER PRIMARY KEY, LName VARCHAR(12), Fname VARCHAR(12), Age INTEGER, Sex VARCHAR(1), Major INTEGER, Advisor INTEGER, city_code VARCHAR(3));
      CREATE TABLE Pets (PetID INTEGER PRIMARY KEY, PetType VARCHAR(20), pet_age INTEGER, weight REAL);
      CREATE TABLE Has_Pet (StuID INTEGER, PetID INTEGER, FOREIGN KEY (PetID) REFERENCES Pets (PetID), FOREIGN KEY (StuID) REFERENCES Student (StuID));
    `);
    const first = ['Ada', 'Bruno', 'Chiara', 'Dmitri', 'Esme', 'Farid', 'Greta', 'Hugo', 'Ines', 'Jonas', 'Kira', 'Luca'];
    const last = ['Moreau', 'Novak', 'Okafor', 'Petrov', 'Quint', 'Rossi', 'Sato', 'Tanaka', 'Ulloa', 'Varga', 'Weber', 'Xu'];
    const cities = ['BER', 'LIS', 'OSL', null];
    first.forEach((name, i) => {
      db.run('INSERT INTO Student VALUES (?, ?, ?, ?, ?, ?, ?, ?)', [1001 + i, last[i]!, name, 18 + (i % 7), i % 2 === 0 ? 'F' : 'M', 500 + (i % 3) * 50, 1100 + (i % 4), cities[i % cities.length]!]);
    });
    const pets: Array<[string, number, number | null]> = [['cat', 3, 12], ['dog', 2, 13.4], ['dog', 1, 9.3], ['cat', 5, 4.1], ['bird', 1, 0.3], ['dog', 7, null]];
    pets.forEach(([type, age, weight], i) => db.run('INSERT INTO Pets VALUES (?, ?, ?, ?)', [2001 + i, type, age, weight]));
    for (const [student, pet] of [[1001, 2001], [1002, 2002], [1002, 2003], [1004, 2004], [1007, 2005], [1009, 2006]]) db.run('INSERT INTO Has_Pet VALUES (?, ?)', [student!, pet!]);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, db.export());
    return file;
  } finally {
    db.close();
  }
}
