/**
 * Near-miss questions: each looks like an approved pair of its project but may ask something else,
 * and each comes with a correct SQL written by hand, so that an answer is judged by running both and
 * comparing results (Spider's comparison), never by what the recall engine says about itself.
 *
 * `adapt` marks a question a safe adaptation of an approved pair must answer (a time grain, a known
 * value of the same column, top-N, a relative period); an abstention there is over-blocking.
 * `heldBack` cases were written with the others, before the matcher was tuned, and were not run
 * while tuning: their figures are reported apart, as the check against overfitting.
 */
export type NearMissClass =
  | 'grain' | 'total-vs-breakdown' | 'entity' | 'measure' | 'dimension' | 'period' | 'ranking'
  | 'filter' | 'rejected' | 'output' | 'adapt' | 'paraphrase'
  // The third round's classes (third.ts).
  | 'negation' | 'threshold' | 'values' | 'distinct' | 'average-grain' | 'cumulative' | 'extreme'
  | 'share' | 'statistic' | 'dates' | 'synonym' | 'unit' | 'other-table' | 'typo' | 'superset';

export interface NearMissCase {
  /** `shop` is the sample project; anything else is a Spider database with every gold query approved. */
  project: string;
  question: string;
  /** A correct query for the question, in the project's dialect. */
  sql: string;
  class: NearMissClass;
  /** What differs from the approved pair the question resembles, in a few words. */
  differs?: string;
  /** A safe adaptation or a paraphrase of an approved pair: recall should answer it. */
  adapt?: boolean;
  heldBack?: boolean;
}

const shop = (question: string, cls: NearMissClass, sql: string, o: { adapt?: boolean; heldBack?: boolean } = {}): NearMissCase => ({ project: 'shop', question, sql, class: cls, ...o });

export const SHOP_CASES: NearMissCase[] = [
  // grain
  shop('How many orders were placed per week?', 'grain', "select date_trunc('week', order_date) as week, count(*) as orders from orders group by 1 order by 1"),
  shop('What is our weekly revenue over the last 12 months?', 'adapt', "select date_trunc('week', order_date) as week, sum(amount) as revenue from orders where is_revenue and order_date >= date_trunc('month', current_date) - interval 12 month group by 1 order by 1", { adapt: true }),
  shop('What is our quarterly revenue over the last 12 months?', 'adapt', "select date_trunc('quarter', order_date) as quarter, sum(amount) as revenue from orders where is_revenue and order_date >= date_trunc('month', current_date) - interval 12 month group by 1 order by 1", { adapt: true }),
  shop('How many new customers signed up each month this year?', 'adapt', "select date_trunc('month', signup_date) as month, count(*) as new_customers from customers where signup_date >= date_trunc('year', current_date) group by 1 order by 1", { adapt: true }),
  shop('How many new customers signed up each day this year?', 'adapt', "select date_trunc('day', signup_date) as day, count(*) as new_customers from customers where signup_date >= date_trunc('year', current_date) group by 1 order by 1", { adapt: true }),
  shop('Compare weekly revenue this year with last year', 'adapt', 'select week(order_date) as week, sum(amount) filter (where year(order_date) = year(current_date)) as this_year, sum(amount) filter (where year(order_date) = year(current_date) - 1) as last_year from orders where is_revenue and year(order_date) >= year(current_date) - 1 group by 1 order by 1', { adapt: true }),
  shop('How many orders did we get each month?', 'grain', "select date_trunc('month', order_date) as month, count(*) as orders from orders group by 1 order by 1"),
  // total vs breakdown
  shop('How many orders do we have?', 'total-vs-breakdown', 'select count(*) from orders'),
  shop('How many orders did we get in the last 7 days?', 'total-vs-breakdown', 'select count(*) from orders where order_date >= current_date - interval 7 day'),
  shop('What was our total revenue over the last 12 months?', 'total-vs-breakdown', "select sum(amount) from orders where is_revenue and order_date >= date_trunc('month', current_date) - interval 12 month"),
  shop('What is the total revenue from the last 30 days?', 'total-vs-breakdown', 'select sum(amount) from orders where is_revenue and order_date >= current_date - interval 30 day'),
  shop('How many customers do we have in total across all countries?', 'total-vs-breakdown', 'select count(*) from customers'),
  shop('What is our overall average order value?', 'total-vs-breakdown', 'select round(avg(amount), 2) from orders where is_revenue'),
  shop('What was our total marketing spend last month?', 'total-vs-breakdown', "select sum(spend) from marketing_daily where date >= date_trunc('month', current_date) - interval 1 month and date < date_trunc('month', current_date)"),
  // entity
  shop('How many customers signed up each day in the last 7 days?', 'entity', 'select signup_date, count(*) from customers where signup_date >= current_date - interval 7 day group by 1 order by 1'),
  shop('How many products do we have in each category?', 'entity', 'select category, count(*) from products group by category'),
  shop('How many orders do we have in each country?', 'entity', 'select shipping_country, count(*) as orders from orders group by 1 order by 2 desc'),
  shop('How many units did we sell each day in the last 7 days?', 'entity', 'select order_date, sum(units) from orders where is_revenue and order_date >= current_date - interval 7 day group by 1 order by 1'),
  // measure
  shop('How many orders did we get each month over the last 12 months?', 'measure', "select date_trunc('month', order_date) as month, count(*) as orders from orders where is_revenue and order_date >= date_trunc('month', current_date) - interval 12 month group by 1 order by 1"),
  shop('How many orders were paid with each payment method?', 'measure', 'select payment_method, count(*) from orders where is_revenue and payment_method is not null group by 1'),
  shop('What share of orders were paid with each payment method?', 'measure', 'select payment_method, round(count(*) / sum(count(*)) over (), 3) as share from orders where is_revenue and payment_method is not null group by 1'),
  shop('How many clicks did each marketing channel get last month?', 'measure', "select channel, sum(clicks) as clicks from marketing_daily where date >= date_trunc('month', current_date) - interval 1 month and date < date_trunc('month', current_date) group by channel order by clicks desc"),
  shop('What is the average number of orders per customer?', 'measure', 'select avg(order_count) from customers'),
  shop('What is the total order value by marketing channel?', 'measure', 'select marketing_channel, sum(amount) from orders where is_revenue group by 1'),
  // ranking criterion and direction
  shop('Which product categories sell the most units?', 'ranking', 'select category, sum(quantity) as units from order_items where is_revenue group by category order by units desc'),
  shop('What are our 10 best-selling products by revenue?', 'ranking', 'select p.product_name, p.category, sum(i.quantity) as units, sum(i.line_amount) as revenue from order_items as i join products as p on p.product_id = i.product_id where i.is_revenue group by p.product_name, p.category order by revenue desc, p.product_name limit 10'),
  shop('Who are our top 5 customers in Germany by number of orders?', 'ranking', "select customer_id, customer_name, order_count, lifetime_revenue from customers where country = 'DE' order by order_count desc, customer_id limit 5"),
  shop('Which customers have placed the most orders?', 'ranking', 'select customer_id, customer_name, country, order_count, lifetime_revenue from customers order by order_count desc, customer_id limit 10'),
  shop('Who are our 5 lowest-spending customers in Germany?', 'ranking', "select customer_id, customer_name, order_count, lifetime_revenue from customers where country = 'DE' order by lifetime_revenue asc, customer_id limit 5"),
  // dimension
  shop('What is the average order value by payment method?', 'dimension', 'select payment_method, count(*) as orders, round(avg(amount), 2) as average_order_value from orders where is_revenue group by payment_method order by average_order_value desc'),
  shop('What is the return rate by marketing channel?', 'dimension', "select marketing_channel, round(count(*) filter (where status = 'returned') / count(*) filter (where status in ('shipped', 'completed', 'returned')), 4) as return_rate from orders group by 1"),
  shop('What share of revenue comes from each marketing channel?', 'dimension', 'select marketing_channel, sum(amount) as revenue, round(sum(amount) / sum(sum(amount)) over (), 3) as share from orders where is_revenue group by 1 order by revenue desc'),
  shop('How many customers do we have per acquisition channel?', 'dimension', 'select acquisition_channel, count(*) as customers from customers group by 1 order by customers desc'),
  shop('Which countries bring in the most revenue?', 'dimension', 'select country, sum(lifetime_revenue) as revenue from customers group by country order by revenue desc'),
  // period
  shop('How much did we spend on each marketing channel this month?', 'period', "select channel, sum(spend) as spend, sum(clicks) as clicks from marketing_daily where date >= date_trunc('month', current_date) group by channel order by spend desc"),
  shop('What was our customer acquisition cost by channel last year?', 'period', "with spend as (select channel, sum(spend) as spend from marketing_daily where year(date) = year(current_date) - 1 group by channel), acquired as (select acquisition_channel as channel, count(*) as new_customers from customers where year(signup_date) = year(current_date) - 1 group by acquisition_channel) select s.channel, s.spend, a.new_customers, round(s.spend / nullif(a.new_customers, 0), 2) as cac from spend as s left join acquired as a on a.channel = s.channel order by cac"),
  shop('How many new customers signed up each week last year?', 'period', "select date_trunc('week', signup_date) as week, count(*) from customers where year(signup_date) = year(current_date) - 1 group by 1 order by 1"),
  shop('How much did we spend on each marketing channel in the last 30 days?', 'period', 'select channel, sum(spend) as spend, sum(clicks) as clicks from marketing_daily where date >= current_date - interval 30 day group by channel order by spend desc'),
  shop('Show me our ROI on ad spend from the last 6 months', 'adapt', 'select channel, sum(spend) as spend, sum(attributed_revenue) as attributed_revenue, round((sum(attributed_revenue) - sum(spend)) / nullif(sum(spend), 0), 3) as roi from marketing_daily where date >= current_date - interval 6 month group by channel order by roi desc', { adapt: true }),
  shop('Show me sales from the last 2 weeks', 'adapt', 'select order_date, count(*) as orders, sum(amount) as revenue from orders where is_revenue and order_date >= current_date - interval 14 day group by order_date order by order_date', { adapt: true }),
  shop('How many orders did we get each day in the last 14 days?', 'adapt', 'select order_date, count(*) as orders from orders where order_date >= current_date - interval 14 day group by order_date order by order_date', { adapt: true }),
  shop('What is our customer acquisition cost by channel this month?', 'adapt', "with spend as (select channel, sum(spend) as spend from marketing_daily where date >= date_trunc('month', current_date) group by channel), acquired as (select acquisition_channel as channel, count(*) as new_customers from customers where signup_date >= date_trunc('month', current_date) group by acquisition_channel) select s.channel, s.spend, a.new_customers, round(s.spend / nullif(a.new_customers, 0), 2) as cac from spend as s left join acquired as a on a.channel = s.channel order by cac", { adapt: true }),
  // top-N and values
  shop('Who are our top 3 customers in Germany?', 'adapt', "select customer_id, customer_name, order_count, lifetime_revenue from customers where country = 'DE' order by lifetime_revenue desc limit 3", { adapt: true }),
  shop('Who are our top 3 customers in France?', 'adapt', "select customer_id, customer_name, order_count, lifetime_revenue from customers where country = 'FR' order by lifetime_revenue desc limit 3", { adapt: true }),
  shop('Who are our top 5 customers in the Netherlands?', 'adapt', "select customer_id, customer_name, order_count, lifetime_revenue from customers where country = 'NL' order by lifetime_revenue desc limit 5", { adapt: true }),
  shop('Who are my top 20 customers?', 'adapt', 'select customer_id, customer_name, country, order_count, lifetime_revenue from customers order by lifetime_revenue desc limit 20', { adapt: true }),
  shop('What are our 5 best-selling products by units?', 'adapt', 'select p.product_name, p.category, sum(i.quantity) as units, sum(i.line_amount) as revenue from order_items as i join products as p on p.product_id = i.product_id where i.is_revenue group by p.product_name, p.category order by units desc, p.product_name limit 5', { adapt: true }),
  shop('How many active customers do we have?', 'paraphrase', 'select count(*) from customers where last_order_date >= current_date - interval 90 day', { adapt: true }),
  // the rejected pair
  shop('How many customers do we have?', 'rejected', 'select count(*) from customers'),
  shop('How many customers have we got?', 'rejected', 'select count(*) from customers'),
  shop('What is the total number of customers?', 'rejected', 'select count(*) from customers'),
  // filters and qualifiers
  shop('How many active customers do we have in Germany?', 'filter', "select count(*) from customers where country = 'DE' and last_order_date >= current_date - interval 90 day"),
  shop('How many new customers from France signed up each week this year?', 'filter', "select date_trunc('week', signup_date) as week, count(*) as new_customers from customers where country = 'FR' and signup_date >= date_trunc('year', current_date) group by 1 order by 1"),
  shop('What is the average order value by marketing channel for cancelled orders?', 'filter', "select marketing_channel, count(*) as orders, round(avg(amount), 2) as average_order_value from orders where status = 'cancelled' group by marketing_channel order by average_order_value desc"),
  shop('How many customers do we have in Germany?', 'filter', "select count(*) from customers where country = 'DE'"),
  shop('What share of customers have ordered more than twice?', 'filter', 'select count(*) filter (where order_count > 2) as repeat_customers, count(*) as customers_with_orders, round(count(*) filter (where order_count > 2) / count(*), 3) as repeat_rate from customers where order_count > 0'),
  shop('What share of customers have ordered more than 3 times?', 'filter', 'select count(*) filter (where order_count > 3) as repeat_customers, count(*) as customers_with_orders, round(count(*) filter (where order_count > 3) / count(*), 3) as repeat_rate from customers where order_count > 0'),
  // paraphrases that must still be answered
  shop('How many customers are there in each country?', 'paraphrase', 'select country, count(*) as customers from customers group by country order by customers desc', { adapt: true }),
  shop("What's the return rate for each product category?", 'paraphrase', "select i.category, count(distinct i.order_id) filter (where o.status = 'returned') as returned_orders, count(distinct i.order_id) filter (where o.status in ('shipped', 'completed', 'returned')) as fulfilled_orders, round(count(distinct i.order_id) filter (where o.status = 'returned') / count(distinct i.order_id) filter (where o.status in ('shipped', 'completed', 'returned')), 4) as return_rate from order_items as i join orders as o on o.order_id = i.order_id group by i.category order by return_rate desc", { adapt: true }),
  shop('What percentage of customers have ordered more than once?', 'paraphrase', 'select count(*) filter (where order_count > 1) as repeat_customers, count(*) as customers_with_orders, round(count(*) filter (where order_count > 1) / count(*), 3) as repeat_rate from customers where order_count > 0', { adapt: true }),

  // ── held back: not run while tuning ──
  shop('How many orders were placed each week this year?', 'grain', "select date_trunc('week', order_date) as week, count(*) from orders where order_date >= date_trunc('year', current_date) group by 1 order by 1", { heldBack: true }),
  shop('What was our monthly revenue over the last 6 months?', 'adapt', "select date_trunc('month', order_date) as month, sum(amount) as revenue from orders where is_revenue and order_date >= date_trunc('month', current_date) - interval 6 month group by 1 order by 1", { adapt: true, heldBack: true }),
  shop('How many new customers signed up each quarter this year?', 'adapt', "select date_trunc('quarter', signup_date) as quarter, count(*) as new_customers from customers where signup_date >= date_trunc('year', current_date) group by 1 order by 1", { adapt: true, heldBack: true }),
  shop('How many new customers signed up this year?', 'total-vs-breakdown', "select count(*) from customers where signup_date >= date_trunc('year', current_date)", { heldBack: true }),
  shop('How many customers came from each acquisition channel this year?', 'entity', "select acquisition_channel, count(*) from customers where signup_date >= date_trunc('year', current_date) group by 1", { heldBack: true }),
  shop('What is the average order value by country?', 'dimension', 'select shipping_country, count(*) as orders, round(avg(amount), 2) as average_order_value from orders where is_revenue group by 1 order by average_order_value desc', { heldBack: true }),
  shop('What share of revenue comes from each product category?', 'dimension', 'select category, sum(line_amount) as revenue, round(sum(line_amount) / sum(sum(line_amount)) over (), 3) as share from order_items where is_revenue group by category order by revenue desc', { heldBack: true }),
  shop('How much revenue did each marketing channel bring in last month?', 'measure', "select channel, sum(attributed_revenue) as revenue from marketing_daily where date >= date_trunc('month', current_date) - interval 1 month and date < date_trunc('month', current_date) group by channel order by revenue desc", { heldBack: true }),
  shop('Who are our top 10 customers in Germany?', 'adapt', "select customer_id, customer_name, order_count, lifetime_revenue from customers where country = 'DE' order by lifetime_revenue desc limit 10", { adapt: true, heldBack: true }),
  shop('Who are our top 3 customers in the United Kingdom?', 'adapt', "select customer_id, customer_name, order_count, lifetime_revenue from customers where country = 'GB' order by lifetime_revenue desc limit 3", { adapt: true, heldBack: true }),
  shop('Who are our top 5 customers in Canada?', 'adapt', "select customer_id, customer_name, order_count, lifetime_revenue from customers where country = 'CA' order by lifetime_revenue desc limit 5", { adapt: true, heldBack: true }),
  shop('How many orders were returned last month?', 'filter', "select count(*) from orders where status = 'returned' and order_date >= date_trunc('month', current_date) - interval 1 month and order_date < date_trunc('month', current_date)", { heldBack: true }),
  shop('What was the ROI on ad spend last month?', 'period', "select channel, sum(spend) as spend, sum(attributed_revenue) as attributed_revenue, round((sum(attributed_revenue) - sum(spend)) / nullif(sum(spend), 0), 3) as roi from marketing_daily where date >= date_trunc('month', current_date) - interval 1 month and date < date_trunc('month', current_date) group by channel order by roi desc", { heldBack: true }),
  shop('How much did we spend on marketing in total last month?', 'total-vs-breakdown', "select sum(spend) from marketing_daily where date >= date_trunc('month', current_date) - interval 1 month and date < date_trunc('month', current_date)", { heldBack: true }),
  shop('How many active customers do we have per country?', 'filter', 'select country, count(*) from customers where last_order_date >= current_date - interval 90 day group by country', { heldBack: true }),
  shop('Show me sales from the last 60 days', 'adapt', 'select order_date, count(*) as orders, sum(amount) as revenue from orders where is_revenue and order_date >= current_date - interval 60 day group by order_date order by order_date', { adapt: true, heldBack: true }),
  shop('How many orders did we get each day last week?', 'period', "select order_date, count(*) as orders from orders where order_date >= date_trunc('week', current_date) - interval 7 day and order_date < date_trunc('week', current_date) group by order_date order by order_date", { heldBack: true }),
  shop('What is our monthly revenue from cancelled orders?', 'filter', "select date_trunc('month', order_date) as month, sum(amount) from orders where status = 'cancelled' group by 1 order by 1", { heldBack: true }),
  shop('Which product categories have the highest gross margin?', 'measure', 'select category, round((sum(line_amount) - sum(line_cost)) / sum(line_amount), 3) as gross_margin from order_items where is_revenue group by category order by gross_margin desc', { heldBack: true }),
  shop('How does the number of orders this month compare with last month?', 'measure', "select count(*) filter (where order_date >= date_trunc('month', current_date)) as this_month, count(*) filter (where order_date >= date_trunc('month', current_date) - interval 1 month and order_date < date_trunc('month', current_date)) as last_month from orders", { heldBack: true }),
  shop('What is the return rate across all categories?', 'total-vs-breakdown', "select round(count(*) filter (where status = 'returned') / count(*) filter (where status in ('shipped', 'completed', 'returned')), 4) from orders", { heldBack: true }),
  shop('Which customers have the highest lifetime revenue?', 'paraphrase', 'select customer_id, customer_name, country, order_count, lifetime_revenue from customers order by lifetime_revenue desc limit 10', { adapt: true, heldBack: true }),
];

const spider = (project: string, question: string, cls: NearMissClass, sql: string, o: { adapt?: boolean; heldBack?: boolean } = {}): NearMissCase => ({ project, question, sql, class: cls, ...o });

export const SPIDER_CASES: NearMissCase[] = [
  spider('singer', 'How many singers are from France?', 'filter', "SELECT count(*) FROM singer WHERE Citizenship = 'France'"),
  spider('singer', 'What is the name of the singer with the smallest net worth?', 'ranking', 'SELECT Name FROM singer ORDER BY Net_Worth_Millions ASC LIMIT 1'),
  spider('singer', 'List the name of singers whose citizenship is not "Germany".', 'adapt', "SELECT Name FROM singer WHERE Citizenship != 'Germany'", { adapt: true }),
  spider('singer', 'Show the name of singers whose birth year is either 1940 or 1962?', 'adapt', 'SELECT Name FROM singer WHERE Birth_Year = 1940 OR Birth_Year = 1962', { adapt: true }),
  spider('singer', 'Show different citizenships and the average net worth of singers of each citizenship.', 'measure', 'SELECT Citizenship, avg(Net_Worth_Millions) FROM singer GROUP BY Citizenship'),
  spider('singer', 'What is the total net worth of all singers?', 'measure', 'SELECT sum(Net_Worth_Millions) FROM singer'),
  spider('singer', 'Show the names of singers and the number of their songs.', 'measure', 'SELECT T1.Name, count(*) FROM singer AS T1 JOIN song AS T2 ON T1.Singer_ID = T2.Singer_ID GROUP BY T1.Name'),
  spider('singer', 'Show the names of singers that have more than two songs.', 'adapt', 'SELECT T1.Name FROM singer AS T1 JOIN song AS T2 ON T1.Singer_ID = T2.Singer_ID GROUP BY T1.Name HAVING COUNT(*) > 2', { adapt: true }),
  spider('singer', 'List the name of singers in descending order of net worth.', 'ranking', 'SELECT Name FROM singer ORDER BY Net_Worth_Millions DESC'),
  spider('singer', 'What is the least common singer citizenship?', 'ranking', 'SELECT Citizenship FROM singer GROUP BY Citizenship ORDER BY COUNT(*) ASC LIMIT 1'),
  spider('flight_2', 'How many airlines are from the UK?', 'filter', "SELECT count(*) FROM airlines WHERE Country = 'UK'"),
  spider('flight_2', 'List all airline names and their countries in "USA".', 'output', "SELECT Airline, Country FROM airlines WHERE Country = 'USA'"),
  spider('flight_2', "What is the country of the airline with abbreviation 'UAL'?", 'output', "SELECT Country FROM airlines WHERE Abbreviation = 'UAL'"),
  spider('flight_2', "Which airline has abbreviation 'Delta'?", 'adapt', "SELECT Airline FROM airlines WHERE Abbreviation = 'Delta'", { adapt: true }),
  spider('poker_player', 'What is the money rank of the poker player with the lowest earnings?', 'ranking', 'SELECT Money_Rank FROM poker_player ORDER BY Earnings ASC LIMIT 1'),
  spider('poker_player', 'What are the total earnings of poker players?', 'measure', 'SELECT sum(Earnings) FROM poker_player'),
  spider('poker_player', 'What is the maximum earnings of poker players?', 'measure', 'SELECT max(Earnings) FROM poker_player'),
  spider('poker_player', 'How many people are from Russia?', 'total-vs-breakdown', "SELECT count(*) FROM people WHERE Nationality = 'Russia'"),
  spider('poker_player', 'Show names of people whose nationality is not "Bulgaria".', 'adapt', "SELECT Name FROM people WHERE Nationality != 'Bulgaria'", { adapt: true }),
  spider('poker_player', 'What is the least common nationality of people?', 'ranking', 'SELECT Nationality FROM people GROUP BY Nationality ORDER BY COUNT(*) ASC LIMIT 1'),
  spider('poker_player', 'What are the names of poker players whose earnings is higher than 500000?', 'adapt', 'SELECT T1.Name FROM people AS T1 JOIN poker_player AS T2 ON T1.People_ID = T2.People_ID WHERE T2.Earnings > 500000', { adapt: true }),
  spider('poker_player', 'What is the average height of poker players?', 'measure', 'SELECT avg(T1.Height) FROM people AS T1 JOIN poker_player AS T2 ON T1.People_ID = T2.People_ID'),
  spider('poker_player', 'How many poker players are taller than 200?', 'filter', 'SELECT count(*) FROM people AS T1 JOIN poker_player AS T2 ON T1.People_ID = T2.People_ID WHERE T1.Height > 200'),
  spider('employee_hire_evaluation', 'How many employees are there in each city?', 'paraphrase', 'SELECT count(*), city FROM employee GROUP BY city', { adapt: true }),
  spider('employee_hire_evaluation', 'How many employees are from Bristol?', 'total-vs-breakdown', "SELECT count(*) FROM employee WHERE city = 'Bristol'"),
  spider('employee_hire_evaluation', 'Sort employee names by their age in descending order.', 'ranking', 'SELECT name FROM employee ORDER BY age DESC'),
  spider('employee_hire_evaluation', 'What is the average age of employees from each city?', 'measure', 'SELECT avg(age), city FROM employee GROUP BY city'),
  spider('employee_hire_evaluation', 'Find the manager name and district of the shop whose number of products is the smallest.', 'ranking', 'SELECT manager_name, district FROM shop ORDER BY number_products ASC LIMIT 1'),
  spider('employee_hire_evaluation', 'What is the average bonus given in all evaluations?', 'measure', 'SELECT avg(bonus) FROM evaluation'),
  spider('employee_hire_evaluation', 'How many different store districts are there?', 'entity', 'SELECT count(DISTINCT district) FROM shop'),
  spider('employee_hire_evaluation', 'Find the number of shops in each district.', 'dimension', 'SELECT count(*), district FROM shop GROUP BY district'),

  // ── held back: not run while tuning ──
  spider('singer', 'How many singers were born before 1945?', 'filter', 'SELECT count(*) FROM singer WHERE Birth_Year < 1945', { heldBack: true }),
  spider('singer', 'What is the birth year of the singer with the largest net worth?', 'output', 'SELECT Birth_Year FROM singer ORDER BY Net_Worth_Millions DESC LIMIT 1', { heldBack: true }),
  spider('singer', 'List the name of singers whose citizenship is not "Chile".', 'adapt', "SELECT Name FROM singer WHERE Citizenship != 'Chile'", { adapt: true, heldBack: true }),
  spider('singer', 'Show the names of singers and the average sales of their songs.', 'measure', 'SELECT T1.Name, avg(T2.Sales) FROM singer AS T1 JOIN song AS T2 ON T1.Singer_ID = T2.Singer_ID GROUP BY T1.Name', { heldBack: true }),
  spider('poker_player', 'What is the money rank of the shortest poker player?', 'ranking', 'SELECT T2.Money_Rank FROM people AS T1 JOIN poker_player AS T2 ON T1.People_ID = T2.People_ID ORDER BY T1.Height ASC LIMIT 1', { heldBack: true }),
  spider('poker_player', 'What is the average earnings of poker players with height higher than 190?', 'adapt', 'SELECT avg(T2.Earnings) FROM people AS T1 JOIN poker_player AS T2 ON T1.People_ID = T2.People_ID WHERE T1.Height > 190', { adapt: true, heldBack: true }),
  spider('poker_player', 'How many people are not from Russia?', 'filter', "SELECT count(*) FROM people WHERE Nationality != 'Russia'", { heldBack: true }),
  spider('employee_hire_evaluation', 'Which cities do more than one employee over age 30 come from?', 'filter', 'SELECT city FROM employee WHERE age > 30 GROUP BY city HAVING count(*) > 1', { heldBack: true }),
  spider('employee_hire_evaluation', 'What is the total number of products across all stores?', 'measure', 'SELECT sum(Number_products) FROM shop', { heldBack: true }),
  spider('employee_hire_evaluation', 'Find the number of employees hired in each shop, with the shop name.', 'paraphrase', 'SELECT count(*), t2.name FROM hiring AS t1 JOIN shop AS t2 ON t1.shop_id = t2.shop_id GROUP BY t2.name', { adapt: true, heldBack: true }),
  spider('flight_2', 'Which country does Airline "Delta Airlines" belong to?', 'adapt', "SELECT Country FROM airlines WHERE Airline = 'Delta Airlines'", { adapt: true, heldBack: true }),
  spider('flight_2', 'How many airlines are not from USA?', 'filter', "SELECT count(*) FROM airlines WHERE Country != 'USA'", { heldBack: true }),
  spider('employee_hire_evaluation', 'Find the name of the employee who got the lowest one time bonus.', 'ranking', 'SELECT t1.name FROM employee AS t1 JOIN evaluation AS t2 ON t1.Employee_ID = t2.Employee_ID ORDER BY t2.bonus ASC LIMIT 1', { heldBack: true }),
];
