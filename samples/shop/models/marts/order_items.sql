select
    i.order_item_id,
    i.order_id,
    o.customer_id,
    o.order_date,
    o.status as order_status,
    o.is_revenue,
    i.product_id,
    p.product_name,
    p.category,
    i.quantity,
    i.unit_price,
    i.line_amount,
    cast(i.quantity * p.unit_cost as decimal(12, 2)) as line_cost
from {{ ref('stg_order_items') }} as i
join {{ ref('orders') }} as o on o.order_id = i.order_id
join {{ ref('stg_products') }} as p on p.product_id = i.product_id
